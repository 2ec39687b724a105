#!/usr/bin/env bash
# libFuzzer targets of fuzz/ (see fuzz/RESULTS.md): builds them with clang in
# their own build directory and runs them.
#
#   scripts/fuzz.sh build                  configure + build (clang, ASan+UBSan+libFuzzer)
#   scripts/fuzz.sh replay [TARGET...]     run every seed and regression input once
#   scripts/fuzz.sh smoke [SECONDS]        build, replay, then fuzz each target SECONDS
#                                          (default 15)
#   scripts/fuzz.sh check TARGET [SECONDS] replay + fuzz one target, no build: what each
#                                          CTest test of label "fuzz" runs (fuzz/smoke.cmake)
#   scripts/fuzz.sh run TARGET [SECONDS] [LIBFUZZER ARGS...]
#                                          one longer run (default 600 s); the corpus grows
#                                          in BUILD/corpus/TARGET and is kept across runs
#   scripts/fuzz.sh long [SECONDS]         "run" for every target, one after the other
#                                          (default 600 s each), with a summary table
#
# Targets: vhost_user virtq config smbus emul control. Environment:
#   VI2C_FUZZ_BUILD        build directory (default: build-fuzz in the source tree)
#   CC                     a clang (default: clang)
#   VI2C_FUZZ_WORKAROUNDS  1 = step around daemon bugs already reported (long runs only)
#   VI2C_FUZZ_LOG          daemon log level inside the targets (default debug, discarded)
# A crash leaves its input in BUILD/artifacts/; reproduce it with
#   BUILD/fuzz_TARGET BUILD/artifacts/<file>
# then minimise it (-minimize_crash=1 -runs=10000) and keep it in
# fuzz/regressions/TARGET/ so that every smoke replays it.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${VI2C_FUZZ_BUILD:-$src/build-fuzz}
targets=(vhost_user virtq config smbus emul control)
# Per-input time limit (a hang is a bug too) and quiet daemon logs; libFuzzer's own
# report still reaches stderr.
common=(-timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1)

die() {
	echo "fuzz.sh: $*" >&2
	exit 1
}

build() {
	local cc=${CC:-clang}

	command -v "$cc" >/dev/null || die "$cc not found: install clang (scripts/install-deps.sh)"
	"$cc" --version | grep -q clang || die "CC=$cc is not clang; libFuzzer needs clang"
	[ -f "$("$cc" -print-file-name=libclang_rt.fuzzer-x86_64.a)" ] ||
		die "libFuzzer runtime missing: apt-get install libclang-rt-14-dev"
	mkdir -p "$build"
	# Quiet unless it fails: clang warns about things gcc (the judge of src/) does not.
	if ! { cmake -S "$src/fuzz" -B "$build" -DCMAKE_C_COMPILER="$cc" \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build "$build" -j"$(nproc)"; } \
		>"$build/build.log" 2>&1; then
		tail -n 40 "$build/build.log" >&2
		die "build failed (full log: $build/build.log)"
	fi
}

check_target() {
	local t
	for t in "${targets[@]}"; do
		[ "$1" = "$t" ] && return 0
	done
	die "unknown target '$1' (${targets[*]})"
}

# Input directories of a target: seeds and crash regressions (read-only).
inputs() {
	local d
	for d in "$src/fuzz/corpus/$1" "$src/fuzz/regressions/$1"; do
		[ -d "$d" ] && echo "$d"
	done
}

replay() {
	local t n
	for t in "$@"; do
		check_target "$t"
		mapfile -t dirs < <(inputs "$t")
		n=$(find "${dirs[@]}" -type f | wc -l)
		mkdir -p "$build/artifacts"
		if ! "$build/fuzz_$t" -runs=0 "${common[@]}" -artifact_prefix="$build/artifacts/$t-" \
			"${dirs[@]}" >"$build/replay-$t.log" 2>&1; then
			tail -n 40 "$build/replay-$t.log" >&2
			die "$t: replay of $n inputs failed (full log: $build/replay-$t.log)"
		fi
		printf '%-11s replayed %d inputs\n' "$t" "$n"
	done
}

# run TARGET SECONDS [ARGS]: fuzzes, prints one summary line; returns 1 on a crash.
run() {
	local t=$1 secs=$2 log start end execs cov corp dict=()
	shift 2
	check_target "$t"
	mkdir -p "$build/corpus/$t" "$build/artifacts"
	mapfile -t dirs < <(inputs "$t")
	[ -f "$src/fuzz/$t.dict" ] && dict=(-dict="$src/fuzz/$t.dict")
	log="$build/fuzz-$t.log"
	start=$(date +%s)
	if ! timeout -k 10 $((secs + 120)) "$build/fuzz_$t" -max_total_time="$secs" "${common[@]}" \
		-artifact_prefix="$build/artifacts/$t-" "${dict[@]}" "$@" "$build/corpus/$t" "${dirs[@]}" \
		>"$log" 2>&1; then
		tail -n 60 "$log" >&2
		echo "fuzz.sh: $t: crash or failure after $(($(date +%s) - start)) s;" \
			"input in $build/artifacts/, log in $log" >&2
		return 1
	fi
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	# -fork=N prints no final stats: take the last progress line.
	[ -n "$execs" ] || execs=$(grep -a -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
	execs=${execs:-0}
	cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(find "$build/corpus/$t" -type f | wc -l)
	printf '%-11s %6d s %12s execs %8s exec/s  cov %5s  corpus %5d  no crash\n' "$t" \
		$((end - start)) "$execs" $((execs / (end - start > 0 ? end - start : 1))) \
		"${cov:-?}" "$corp"
}

cmd=${1:-smoke}
[ $# -gt 0 ] && shift
case "$cmd" in
build)
	build
	;;
replay)
	build
	[ $# -gt 0 ] || set -- "${targets[@]}"
	replay "$@"
	;;
smoke | long)
	[ "$cmd" = smoke ] && secs=${1:-15} || secs=${1:-600}
	build
	[ "$cmd" = smoke ] && replay "${targets[@]}"
	failed=()
	for t in "${targets[@]}"; do
		run "$t" "$secs" || failed+=("$t")
	done
	[ ${#failed[@]} -eq 0 ] || die "crashes in: ${failed[*]}"
	;;
check)
	[ $# -ge 1 ] || die "usage: fuzz.sh check TARGET [SECONDS]"
	[ -x "$build/fuzz_$1" ] || die "$build/fuzz_$1 missing: run 'fuzz.sh build' first"
	replay "$1"
	run "$1" "${2:-15}"
	;;
run)
	[ $# -ge 1 ] || die "usage: fuzz.sh run TARGET [SECONDS] [LIBFUZZER ARGS...]"
	t=$1
	secs=${2:-600}
	shift $(($# >= 2 ? 2 : 1))
	build
	run "$t" "$secs" "$@"
	;;
*)
	sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
