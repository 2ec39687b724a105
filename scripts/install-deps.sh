#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need. Idempotent:
# does nothing when everything is already installed.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libcmocka-dev libseccomp-dev libjansson-dev clang libclang-rt-14-dev
      qemu-system-x86 kmod cpio xz-utils libelf1 libssl3 bc
      qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      i2c-tools systemd dpkg-dev debhelper fakeroot python3
      libjansson-dev)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
