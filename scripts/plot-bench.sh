#!/usr/bin/env bash
# Plots latency against the number of busy guests from one or more vi2c-bench
# JSON reports, one p50 and one p99 series per report, named by its label
# (e.g. polling on and off, from scripts/bench.sh), and each report's eventfd
# floor p50. gnuplot and jq are installed from Debian (gnuplot-nox, jq) if missing.
#
#   scripts/plot-bench.sh [-o OUT.svg|OUT.png] REPORT.json [REPORT.json ...]
#   scripts/plot-bench.sh REPORT.json OUT.svg|OUT.png      (the older form)
# Default output: docs/performance-latency.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() {
	echo "usage: $0 [-o OUT.svg|OUT.png] REPORT.json [REPORT.json ...]" >&2
	exit 2
}
outfile=docs/performance-latency.svg
if [ "${1:-}" = -o ]; then
	[ $# -ge 2 ] || usage
	outfile=$2
	shift 2
fi
[ $# -ge 1 ] || usage
if [ $# -eq 2 ] && [[ $2 == *.svg || $2 == *.png ]]; then
	outfile=$2
	set -- "$1"
fi
for j in "$@"; do
	[ -f "$j" ] || { echo "plot-bench.sh: no such report: $j" >&2; exit 2; }
done

need=()
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi

tmp=$(mktemp -d /tmp/vi2c-plot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
plots=()
styles=(7 5 9 11 13 15)
i=0
for j in "$@"; do
	data=$tmp/$i.dat
	# guests p50 p99 (microseconds), one line per scale point that completed
	jq -r '.scale[] | select(.failure == null)
		| "\(.guests) \(.p50_ns / 1000) \(.p99_ns / 1000)"' "$j" >"$data"
	if [ ! -s "$data" ]; then
		echo "plot-bench.sh: no scale results in $j" >&2
		exit 1
	fi
	# Reports without a label (format 1, or no --label) are named by their file.
	label=$(jq -r --arg f "$(basename "$j" .json)" '.label // $f' "$j" | tr -d "'\"")
	floor=$(jq -r '.floor.p50_ns / 1000' "$j")
	pt=${styles[$((i % ${#styles[@]}))]}
	plots+=("'$data' using 1:2 with linespoints lw 2 pt $pt lc $((i + 1)) title '$label p50'")
	plots+=("'$data' using 1:3 with linespoints lw 1 dt 3 pt $pt lc $((i + 1)) title '$label p99'")
	plots+=("$floor with lines dt 2 lw 1 lc $((i + 1)) title '$label: floor p50 (eventfd ping-pong)'")
	i=$((i + 1))
done
title=$(jq -r '"vhost-user-i2c: latency of one i2cget group vs busy guests (\(.machine.nproc) x \(.machine.cpu), Linux \(.machine.kernel))"' "$1")

case $outfile in
*.png) term="pngcairo size 900,560 font 'sans,10'" ;;
*) term="svg size 900,560 dynamic font 'sans,12'" ;;
esac

plot_cmd=$(IFS=,; echo "${plots[*]}")
gnuplot <<GP
set terminal $term
set output '$outfile'
set title "$title" noenhanced
set xlabel 'guests connected and busy (each: one group at a time, queue of 4)'
set ylabel 'latency, publish to used + call (us)'
set logscale xy
set xtics (1, 2, 4, 8, 16, 32, 64)
set grid
set key top left noenhanced
set xrange [0.8:80]
plot $plot_cmd
GP
echo "plot: $outfile"
