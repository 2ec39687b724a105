#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the dev configuration
# (-Werror, ASan+UBSan) and runs the whole CTest suite there (unit,
# integration, end-to-end with a real QEMU guest, fuzz smoke, package, bench
# smoke); then builds the Release configuration (-Werror, -O2, no sanitizer:
# the binary users run, with the seccomp filter exactly as in production) and
# runs the unit, integration and bench tests against it.
# Extra arguments go to the dev run's ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

dev=${VI2C_BUILD_DIR:-build-dev}
cmake -S . -B "$dev" -DCMAKE_BUILD_TYPE=Debug -DVI2C_WERROR=ON -DVI2C_SANITIZE=ON >/dev/null
cmake --build "$dev" -j"$(nproc)"
status=0
ctest --test-dir "$dev" --output-on-failure --timeout 900 "$@" || status=1

if [ $# -eq 0 ]; then
	rel=${VI2C_RELEASE_BUILD_DIR:-build-release-tests}
	cmake -S . -B "$rel" -DCMAKE_BUILD_TYPE=Release -DVI2C_WERROR=ON >/dev/null
	cmake --build "$rel" -j"$(nproc)"
	ctest --test-dir "$rel" --output-on-failure --timeout 900 -L 'unit|integration|bench' ||
		status=1
fi
exit $status
