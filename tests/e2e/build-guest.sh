#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds (once) the pieces a Linux guest for the end-to-end tests needs and
# prints the directory that holds them:
#   vmlinuz         the Debian kernel (amd64: vmlinuz; arm64: the Image)
#   base.cpio.gz    busybox-static + the guest modules we load, including the
#                   drivers built out of tree because Debian does not ship them:
#                   i2c-virtio, rtc-ds1307 and gpio-pca953x
#   abi             the kernel ABI, e.g. 6.1.0-56-amd64
#   version         the kernel package's version, e.g. 6.1.158-1 (newer builds)
#
# Which kernel (default: Debian's current generic amd64 kernel of the host's
# suites, what the 7.2 x 6.1 runs use):
#   --arch ARCH     amd64 or arm64 (env VI2C_E2E_GUEST_ARCH). arm64 pieces
#                   come from the host archive through a private apt
#                   configuration (tests/e2e/apt.sh); i2c-virtio is cross-built
#                   with aarch64-linux-gnu-gcc, the kbuild host tools are the
#                   same linux-kbuild version for the build machine (amd64).
#   --suite SUITE   take the kernel from SUITE, e.g. bookworm-backports (env
#                   VI2C_E2E_KERNEL_SUITE), through a private apt configuration;
#                   busybox-static still comes from the host's suites
#   --abi ABI       this kernel ABI instead of the current one (env
#                   VI2C_E2E_KERNEL_ABI); it must still be in the archive
#
# Everything is cached outside the git tree, keyed by kernel ABI:
#   ${VI2C_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vhost-user-i2c}/<abi>/guest-vN
# The build happens in a temporary directory renamed into place when complete,
# under an flock, so concurrent test processes build it once and never see a
# half-built cache. Downloads use `apt-get download` (nothing is installed).
# A build removes what it supersedes and nobody uses (tests/e2e/cache.sh):
# older guest-vN of its ABI, and older ABIs from the same source (the host's
# kernel, another --suite or --arch is another source).
#
# Usage: build-guest.sh [--arch ARCH] [--suite SUITE] [--abi ABI]
# Prints the cache directory on stdout; progress goes to stderr. Exit status 0
# on success.
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

here=$(cd "$(dirname "$0")" && pwd)
arch=${VI2C_E2E_GUEST_ARCH:-amd64}
suite=${VI2C_E2E_KERNEL_SUITE:-}
abi=${VI2C_E2E_KERNEL_ABI:-}
while [ $# -gt 0 ]; do
	case $1 in
	--arch | --suite | --abi)
		[ $# -ge 2 ] || die "$1 needs a value"
		declare "${1#--}=$2"
		shift 2
		;;
	*)
		echo "build-guest: unknown argument '$1'" >&2
		echo "usage: $0 [--arch amd64|arm64] [--suite SUITE] [--abi ABI]" >&2
		exit 2
		;;
	esac
done
case $arch in
amd64) cross=() ;;
arm64) cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
*)
	echo "build-guest: unsupported --arch '$arch' (amd64 or arm64)" >&2
	exit 2
	;;
esac

tools=(apt-get apt-cache dpkg-deb depmod modprobe cpio gzip xz make gcc flock)
[ "$arch" = arm64 ] && tools+=(aarch64-linux-gnu-gcc)
for tool in "${tools[@]}"; do
	command -v "$tool" >/dev/null || die "missing tool '$tool' (run scripts/install-deps.sh)"
done

# The kernel's packages come from the host's apt (the default) or from a
# private configuration (another suite or architecture); busybox-static from
# the host's suites for the guest's architecture.
# shellcheck source=tests/e2e/apt.sh
. "$here/apt.sh"
# shellcheck source=tests/e2e/cache.sh
. "$here/cache.sh"
host_suites() {
	# shellcheck disable=SC2016 # apt's own $(...) field
	apt-get indextargets --format '$(RELEASE)' 2>/dev/null | sort -u
}
kernel_apt=host
busybox_apt=host
if [ -n "$suite" ] || [ "$arch" != amd64 ]; then
	kernel_apt=${suite:-main}-$arch
fi
setup_kernel_apt() {
	case $kernel_apt in
	host) ;;
	main-*)
		mapfile -t suites < <(host_suites)
		apt_private "$kernel_apt" "$arch" "${suites[@]}"
		;;
	*) apt_private "$kernel_apt" "$arch" "$suite" ;;
	esac
}
[ "$arch" != amd64 ] && busybox_apt=main-$arch
kcache() { # apt-cache on the kernel's configuration
	if [ "$kernel_apt" = host ]; then apt-cache "$@"; else papt_cache "$@"; fi
}

# The package lists may be empty on a fresh machine or container.
resolve_abi() {
	kcache depends "linux-image-$arch" 2>/dev/null |
		sed -n "s/^ *Depends: linux-image-\([0-9][^ ]*-$arch\)\$/\1/p" | head -n1
}
if [ -n "$abi" ]; then
	:
elif [ "$kernel_apt" != host ]; then
	setup_kernel_apt
	abi=$(resolve_abi || true)
else
	abi=$(resolve_abi || true)
	if [ -z "$abi" ]; then
		say "no linux-image-amd64 in the package lists; running apt-get update"
		apt-get update -qq </dev/null >&2 || die "apt-get update failed"
		abi=$(resolve_abi || true)
	fi
fi
[ -n "$abi" ] || die "cannot resolve the kernel ABI from 'apt-cache depends linux-image-$arch'"
kver=${abi%%[-+]*} # e.g. 6.1.0, 6.12.57
series=$(echo "$kver" | cut -d. -f1,2)

abi_dir=$cache_root/$abi
final=$abi_dir/$FORMAT
kind="$kernel_apt $arch" # which ABIs a newer one supersedes
if [ -f "$final/complete" ]; then
	cache_set_kind "$abi_dir" "$kind" # caches built before kinds were recorded
	echo "$final"
	exit 0
fi

say "waiting for the build lock $abi_dir/.lock"
cache_lock "$abi_dir" 1800 || die "timed out waiting for another build of $final"
if [ -f "$final/complete" ]; then # built by someone else while we waited
	echo "$final"
	exit 0
fi

say "building the guest pieces for kernel $abi in $final (downloads ~250 MB once)"
work=$(mktemp -d "$abi_dir/.build.XXXXXX")
stage=$abi_dir/.stage.$$
trap 'rm -rf "$work" "$stage"' EXIT

# --- Downloads: kept in $abi_dir/debs so a format bump does not re-download. ---
debs=$abi_dir/debs
mkdir -p "$debs"
setup_kernel_apt
mapfile -t headers_deps < <(kcache depends "linux-headers-$abi" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p')
# Cross builds: kbuild's host programs (fixdep, modpost, ...) must run here,
# so linux-kbuild comes for the build machine, in the version the headers need.
host_pkgs=(busybox-static)
kernel_pkgs=("linux-image-$abi" "linux-headers-$abi" "linux-source-$series")
for dep in "${headers_deps[@]}"; do
	case $dep in
	linux-kbuild-*)
		if [ "$arch" != amd64 ]; then
			kbuild_version=$(kcache show "$dep" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
			host_pkgs+=("$dep=$kbuild_version")
			continue
		fi
		;;
	esac
	kernel_pkgs+=("$dep")
done
# The cached deb of package NAME for ARCH (default: the guest's) or "all".
deb() { # NAME [ARCH]
	find "$debs" -maxdepth 1 \( -name "${1}_*_${2:-$arch}.deb" -o -name "${1}_*_all.deb" \) |
		head -n1
}
download() { # APT ARCH PKG[=VERSION]
	local apt=$1 parch=$2 pkg=$3 dl
	[ -z "$(deb "${pkg%%=*}" "$parch")" ] || return 0
	say "downloading $pkg"
	dl=$(mktemp -d "$abi_dir/.dl.XXXXXX")
	if [ "$apt" = host ]; then
		(cd "$dl" && timeout 900 apt-get download -q -o APT::Sandbox::User=root "${pkg%%=*}:$parch${pkg#"${pkg%%=*}"}" \
			</dev/null >&2) || {
			rm -rf "$dl"
			die "apt-get download $pkg failed"
		}
	else
		(cd "$dl" && papt_get download -q "$pkg" </dev/null >&2) || {
			rm -rf "$dl"
			die "apt-get download $pkg failed ($apt_dir)"
		}
	fi
	mv "$dl"/*.deb "$debs/"
	rmdir "$dl"
}
for pkg in "${kernel_pkgs[@]}"; do
	download "$kernel_apt" "$arch" "$pkg"
done
for pkg in "${host_pkgs[@]}"; do
	[ "$pkg" = busybox-static ] || download host amd64 "$pkg"
done
if [ "$arch" != amd64 ]; then
	# The applet list comes from the build machine's busybox of the same
	# version: the guest's cannot run here.
	download host amd64 busybox-static
	if [ "$busybox_apt" != "$kernel_apt" ]; then
		mapfile -t suites < <(host_suites)
		apt_private "$busybox_apt" "$arch" "${suites[@]}"
	fi
fi
download "$busybox_apt" "$arch" busybox-static

# --- Kernel image and modules. ---
say "unpacking the kernel"
dpkg-deb -x "$(deb "linux-image-$abi")" "$work/image"
cp "$work/image/boot/vmlinuz-$abi" "$work/vmlinuz"
dpkg-deb -f "$(deb "linux-image-$abi")" Version >"$work/version"
depmod -b "$work/image" "$abi"

# --- Drivers Debian does not build, built out of tree against the headers. ---
say "unpacking headers and the out-of-tree driver sources"
for pkg in "linux-headers-$abi" "${headers_deps[@]}"; do
	pkg=${pkg%%=*}
	case $pkg in
	linux-kbuild-*) pkg_arch=amd64 ;;
	*) pkg_arch=$arch ;;
	esac
	dpkg-deb -x "$(deb "$pkg" "$pkg_arch")" "$work/hdr"
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
timeout 900 make -s -C "$hdr" M="$mod_src" "${cross[@]}" "${extra[@]}" modules >"$work/module-build.log" 2>&1 || {
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
list_bb=$root/bin/busybox
if [ "$arch" != amd64 ]; then
	dpkg-deb -x "$(deb busybox-static amd64)" "$work/bb-host"
	list_bb=$work/bb-host/bin/busybox
fi
"$list_bb" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

case $arch in
# The guest drivers of the emulated models (issues 10, 13) come from Debian,
# except the out-of-tree ones above.
amd64) mods="virtio_pci i2c-dev i2c-stub at24 lm75 ee1004 tmp102 sht3x jc42 ti-ads1015 bmp280-i2c" ;;
# Arm: virtio-mmio transports (from the device tree) besides PCI; Debian's
# arm64 kernel has no i2c-stub.
arm64) mods="virtio_mmio virtio_pci i2c-dev at24 lm75" ;;
esac
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
mv "$work/vmlinuz" "$work/base.cpio.gz" "$work/abi" "$work/version" "$stage/"
cp "$mod_src/i2c-virtio.ko" "$stage/"
touch "$stage/complete"
rm -rf "$final"
mv "$stage" "$final"
cache_set_kind "$abi_dir" "$kind"
say "done: $final"
cache_prune_superseded "$cache_root" "$abi" "$FORMAT"
echo "$final"
