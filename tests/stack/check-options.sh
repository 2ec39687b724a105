#!/usr/bin/env bash
# --help and the man page document the same long options: every long option in
# the OPTIONS section of man/vhost-user-i2c.8 (the .TP/.TQ tag lines) against
# every option line of `vhost-user-i2c --help`, compared as sets; the --help
# synopsis names -c and --guest.
# Usage: check-options.sh DAEMON MANPAGE
set -euo pipefail
daemon=$1 man=$2

help_opts=$("$daemon" --help | grep -E '^ +(-[a-zA-Z], )?--[a-z]' |
	grep -oE -- '--[a-z][a-z-]*' | sort -u)
man_opts=$(awk '/^\.SH OPTIONS/ { on = 1; next } /^\.SH / { on = 0 }
	on && tag { print; tag = 0 } on && /^\.(TP|TQ)/ { tag = 1 }' "$man" |
	sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z-]*' | sort -u)

echo "help: $(echo $help_opts)"
echo "man:  $(echo $man_opts)"
[ "$(echo "$help_opts" | wc -l)" -ge 16 ] || { echo "too few options found in --help"; exit 1; }
if [ "$help_opts" != "$man_opts" ]; then
	echo "--help and the man page differ:"
	diff <(echo "$help_opts") <(echo "$man_opts") || true
	exit 1
fi
# The --help synopsis shows every form of the command line, as the man page's does.
usage=$("$daemon" --help | head -n 3)
for tok in '-s PATH' '[-c N]' '[--guest LIST' '--fd=FD'; do
	if ! grep -qF -- "$tok" <<<"$usage"; then
		echo "--help synopsis lacks '$tok':"
		echo "$usage"
		exit 1
	fi
done
# The man page is valid roff that renders without warnings.
warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null || true)
if [ -n "$warn" ]; then
	echo "man page warnings: $warn"
	exit 1
fi
echo "OK: $(echo "$help_opts" | wc -l) long options, same in --help and the man page"
