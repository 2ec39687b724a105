#!/usr/bin/env bash
# Benchmarks vhost-user-i2c (docs/performance.md): builds a Release daemon and
# the bench tools, measures start-up time and idle memory, starts the daemon
# with 64 sockets and an emulated register file, runs vi2c-bench against it
# and writes build-bench/results/bench-<time>.{json,txt} plus the plot.
#
#   scripts/bench.sh [--quick] [--no-plot] [-- extra vi2c-bench options]
#
# Environment: VI2C_BENCH_BUILD (build dir, default build-bench),
# VI2C_BENCH_OUT (results dir, default <build>/results), VI2C_BENCH_DAEMON_ARGS
# (extra daemon options, e.g. --no-sandbox), VI2C_BENCH_SRC (source dir).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
src=${VI2C_BENCH_SRC:-$root}
build=${VI2C_BENCH_BUILD:-$root/build-bench}
out=${VI2C_BENCH_OUT:-$build/results}
daemon_args=(${VI2C_BENCH_DAEMON_ARGS:-})
device=(-e stub@0x10)
quick=0
plot=1
bench_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--no-plot) plot=0 ;;
	--) shift; bench_args+=("$@"); break ;;
	*) echo "usage: $0 [--quick] [--no-plot] [-- vi2c-bench options]" >&2; exit 2 ;;
	esac
	shift
done

scripts/install-deps.sh
echo "== building the Release daemon and the bench tools in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DVI2C_SANITIZE=OFF -DVI2C_TESTS=ON \
	>/dev/null
if ! grep -q '^vi2c-bench:' <(cmake --build "$build" --target help | sed 's/^\.\.\. //;s/$/:/'); then
	echo "bench.sh: the build has no vi2c-bench target: include bench/bench.cmake from" \
		"CMakeLists.txt (after add_subdirectory(tests))" >&2
	exit 1
fi
cmake --build "$build" -j"$(nproc)" --target vhost-user-i2c vi2c-bench vi2c-bench-startup \
	>/dev/null
daemon=$build/vhost-user-i2c

tmp=$(mktemp -d /tmp/vi2c-bench-XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$quick" = 1 ]; then
	reps=5
	counts=(--runs 3 --warmup 500 --latency-count 3000 --throughput-count 30000
		--scale-total 15000)
else
	reps=21
	counts=(--runs 5)
fi

echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== start-up and idle footprint (1 and 64 sockets, $reps starts each)"
timeout 600 "$build/vi2c-bench-startup" --daemon "$daemon" --dir "$tmp" --sockets 1,64 \
	--reps "$reps" --json "$tmp/footprint.json" -- "${device[@]}" "${daemon_args[@]}"

echo "== daemon with 64 sockets"
"$daemon" -s "$tmp/vi2c.sock" -c 64 "${device[@]}" "${daemon_args[@]}" 2>"$tmp/daemon.log" &
pid=$!

mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)
json=$out/bench-$stamp.json
txt=$out/bench-$stamp.txt
echo "== vi2c-bench (pid $pid)"
timeout 3600 "$build/vi2c-bench" --socket "$tmp/vi2c.sock" --sockets 64 --addr 0x10 \
	--pid "$pid" --footprint "$tmp/footprint.json" --json "$json" "${counts[@]}" \
	"${bench_args[@]}" | tee "$txt"
ln -sfn "$(basename "$json")" "$out/latest.json"
ln -sfn "$(basename "$txt")" "$out/latest.txt"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || echo "bench.sh: the daemon exited with status $status on SIGTERM" >&2
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== results: $json"
if [ "$plot" = 1 ]; then
	scripts/plot-bench.sh "$json" "$out/latency-vs-guests.svg"
fi
