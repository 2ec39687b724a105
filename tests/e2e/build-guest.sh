#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds (once) the pieces a Linux guest for the end-to-end tests needs and
# prints the directory that holds them:
#   vmlinuz         Debian's current generic amd64 kernel
#   base.cpio.gz    busybox-static + the guest modules we load, including the
#                   drivers built out of tree because Debian does not ship them:
#                   i2c-virtio, rtc-ds1307 and gpio-pca953x
#   abi             the kernel ABI, e.g. 6.1.0-56-amd64
#
# Everything is cached outside the git tree, keyed by kernel ABI:
#   ${VI2C_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vhost-user-i2c}/<abi>/guest-v1
# The build happens in a temporary directory renamed into place when complete,
# under an flock, so concurrent test processes build it once and never see a
# half-built cache. Downloads use `apt-get download` (nothing is installed).
#
# Usage: build-guest.sh          prints the cache directory on stdout
# Progress goes to stderr. Exit status 0 on success.
set -euo pipefail

# Bump when the layout or the module list of the cached pieces changes (the
# cache is shared between trees: give each module list a name of its own).
FORMAT=guest-v3
cache_root=${VI2C_E2E_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vhost-user-i2c}

say() { printf 'build-guest: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

for tool in apt-get apt-cache dpkg-deb depmod modprobe cpio gzip xz make gcc flock; do
	command -v "$tool" >/dev/null || die "missing tool '$tool' (run scripts/install-deps.sh)"
done

# The package lists may be empty on a fresh machine or container.
resolve_abi() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
abi=$(resolve_abi || true)
if [ -z "$abi" ]; then
	say "no linux-image-amd64 in the package lists; running apt-get update"
	apt-get update -qq </dev/null >&2 || die "apt-get update failed"
	abi=$(resolve_abi || true)
fi
[ -n "$abi" ] || die "cannot resolve the kernel ABI from 'apt-cache depends linux-image-amd64'"
kver=${abi%%-*} # e.g. 6.1.0
series=$(echo "$kver" | cut -d. -f1,2)

abi_dir=$cache_root/$abi
final=$abi_dir/$FORMAT
if [ -f "$final/complete" ]; then
	echo "$final"
	exit 0
fi

mkdir -p "$abi_dir"
exec 9>"$abi_dir/.lock"
say "waiting for the build lock $abi_dir/.lock"
flock -w 1800 9 || die "timed out waiting for another build of $final"
if [ -f "$final/complete" ]; then # built by someone else while we waited
	echo "$final"
	exit 0
fi

say "building the guest pieces for kernel $abi in $final (downloads ~215 MB once)"
work=$(mktemp -d "$abi_dir/.build.XXXXXX")
stage=$abi_dir/.stage.$$
trap 'rm -rf "$work" "$stage"' EXIT

# --- Downloads: kept in $abi_dir/debs so a format bump does not re-download. ---
debs=$abi_dir/debs
mkdir -p "$debs"
mapfile -t headers_deps < <(apt-cache depends "linux-headers-$abi" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p')
pkgs=("linux-image-$abi" "linux-headers-$abi" "${headers_deps[@]}" "linux-source-$series" busybox-static)
for pkg in "${pkgs[@]}"; do
	if ls "$debs/${pkg}_"*.deb >/dev/null 2>&1; then
		continue
	fi
	say "downloading $pkg"
	dl=$(mktemp -d "$abi_dir/.dl.XXXXXX")
	(cd "$dl" && timeout 900 apt-get download -q -o APT::Sandbox::User=root "$pkg" \
		</dev/null >&2) || {
		rm -rf "$dl"
		die "apt-get download $pkg failed"
	}
	mv "$dl"/*.deb "$debs/"
	rmdir "$dl"
done
deb() { find "$debs" -maxdepth 1 -name "${1}_*.deb" | head -n1; }

# --- Kernel image and modules. ---
say "unpacking the kernel"
dpkg-deb -x "$(deb "linux-image-$abi")" "$work/image"
cp "$work/image/boot/vmlinuz-$abi" "$work/vmlinuz"
depmod -b "$work/image" "$abi"

# --- Drivers Debian does not build, built out of tree against the headers. ---
say "unpacking headers and the out-of-tree driver sources"
for pkg in "linux-headers-$abi" "${headers_deps[@]}"; do
	dpkg-deb -x "$(deb "$pkg")" "$work/hdr"
done
hdr=$work/hdr/usr/src/linux-headers-$abi
[ -d "$hdr" ] || die "headers not found at $hdr"
# The headers refer to their siblings by absolute /usr/src and /usr/lib paths.
grep -rlE '/usr/(src|lib)/linux-' "$hdr" --include=Makefile -s | while read -r mk; do
	sed -i -e "s#/usr/src/linux-#$work/hdr/usr/src/linux-#g" \
		-e "s#/usr/lib/linux-kbuild#$work/hdr/usr/lib/linux-kbuild#g" "$mk"
done
find "$work/hdr" -type l | while read -r link; do
	target=$(readlink "$link")
	case $target in
	/usr/*) ln -sfn "$work/hdr$target" "$link" ;;
	esac
done

mod_src=$work/extra
mkdir -p "$mod_src"
extra_srcs=(drivers/i2c/busses/i2c-virtio.c drivers/rtc/rtc-ds1307.c drivers/gpio/gpio-pca953x.c)
dpkg-deb --fsys-tarfile "$(deb "linux-source-$series")" |
	tar -xO --wildcards "./usr/src/linux-source-$series.tar.*" |
	tar -xJ -C "$mod_src" --transform="s#.*/##" \
		"${extra_srcs[@]/#/linux-source-$series/}"
kos=()
for src in "${extra_srcs[@]}"; do
	name=$(basename "$src" .c)
	[ -s "$mod_src/$name.c" ] || die "$src not found in linux-source-$series"
	kos+=("$name.o")
done
echo "obj-m := ${kos[*]}" >"$mod_src/Kbuild"
extra=()
case $series in
6.1 | 5.*) ;;
*) extra+=(CONFIG_DEBUG_INFO_BTF_MODULES=) ;; # newer kernels: no pahole here
esac
say "building ${kos[*]/%.o/.ko}"
timeout 900 make -s -C "$hdr" M="$mod_src" "${extra[@]}" modules >"$work/module-build.log" 2>&1 || {
	cat "$work/module-build.log" >&2
	die "building the out-of-tree modules failed"
}

# --- Root filesystem: busybox + the module closure we need. ---
say "assembling the base initramfs"
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,e2e}
dpkg-deb -x "$(deb busybox-static)" "$work/bb"
cp "$work/bb/bin/busybox" "$root/bin/busybox"
# Applet links; never a busybox -> busybox self link (the kernel fails /init with ELOOP).
"$root/bin/busybox" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# The guest drivers of the emulated models (issues 10, 13) come from Debian,
# except the out-of-tree ones above.
mods="virtio_pci i2c-dev i2c-stub at24 lm75 ee1004 tmp102 sht3x jc42 ti-ads1015 bmp280-i2c"
moddir=lib/modules/$abi
mkdir -p "$root/$moddir/extra"
for mod in $mods; do
	modprobe -d "$work/image" -S "$abi" --show-depends "$mod" |
		sed -n 's/^insmod \([^ ]*\).*/\1/p'
done | sort -u | while read -r ko; do
	rel=${ko#"$work/image/"}
	mkdir -p "$root/$(dirname "$rel")"
	cp "$ko" "$root/$rel"
done
cp "$work/image/$moddir"/modules.{order,builtin,builtin.modinfo} "$root/$moddir/"
cp "$mod_src"/*.ko "$root/$moddir/extra/"
depmod -b "$root" "$abi"
echo "$abi" >"$work/abi"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 >"$work/base.cpio.gz"

# Keep only the artifacts; publish atomically.
mkdir "$stage"
mv "$work/vmlinuz" "$work/base.cpio.gz" "$work/abi" "$stage/"
cp "$mod_src/i2c-virtio.ko" "$stage/"
touch "$stage/complete"
rm -rf "$final"
mv "$stage" "$final"
say "done: $final"
echo "$final"
