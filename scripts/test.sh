#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the dev configuration
# (-Werror, ASan+UBSan) and runs the whole CTest suite (unit, integration,
# end-to-end with a real QEMU guest).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

build=${VI2C_BUILD_DIR:-build-dev}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DVI2C_WERROR=ON -DVI2C_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
