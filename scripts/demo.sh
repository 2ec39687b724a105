#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Demo on a fresh Debian 12 machine: installs what is missing, builds the
# daemon (release), starts it with emulated chips (an EEPROM backed by a host
# file, an LM75 sensor, a register file), boots a Linux guest in QEMU and
# shows what the guest sees. Exits 0 when everything worked; leaves nothing
# running. The first run downloads and caches the guest kernel (~215 MB).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n## %s\n' "$*"; }

step "Installing missing packages (scripts/install-deps.sh)"
scripts/install-deps.sh

step "Building the daemon (build-release)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release &&
	cmake --build build-release --target vhost-user-i2c -j"$(nproc)"; } >"$log" 2>&1; then
	cat "$log"
	exit 1
fi
echo "build-release/vhost-user-i2c"

step "Preparing the guest kernel and initramfs (cached after the first run)"
tests/e2e/build-guest.sh

step "Starting the daemon and booting a guest (QEMU, vhost-user-i2c-pci)"
tests/e2e/run.sh --daemon build-release/vhost-user-i2c demo
