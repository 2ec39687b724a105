#!/usr/bin/env bash
# The long soak (issue "Hardening"): 10 000 connect/negotiate/transfer/disconnect
# cycles with fds and RSS checked flat, then a 10-minute run of several guests
# doing random groups with random disconnects, against a Release daemon.
# Override with VI2C_SOAK_CYCLES / VI2C_SOAK_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${VI2C_BUILD_DIR:-build-soak}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target vhost-user-i2c test_soak -j"$(nproc)"
export VI2C_SOAK_CYCLES=${VI2C_SOAK_CYCLES:-10000}
export VI2C_SOAK_SECONDS=${VI2C_SOAK_SECONDS:-600}
VI2C_DAEMON="$PWD/$build/vhost-user-i2c" timeout -k 10 $((VI2C_SOAK_SECONDS + 900)) \
	"$build/tests/test_soak"
