#!/usr/bin/env bash
# Benchmarks vhost-user-i2c (docs/performance.md): builds a Release daemon and
# the bench tools, measures start-up time and idle memory, then for each
# polling configuration starts the daemon with 64 sockets and an emulated
# register file, runs vi2c-bench against it (labelled with the configuration)
# and writes build-bench/results/bench-<time>-<config>.{json,txt}, a side-by-side
# summary bench-<time>-summary.txt and the plot of latency vs guests.
#
#   scripts/bench.sh [--quick] [--no-plot] [--poll LIST] [-- extra vi2c-bench options]
#
# --poll LIST: comma-separated --poll-max-ns values, "default" = the option not
# given (default: default,0 = adaptive polling on, then off).
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
polls=default,0
bench_args=()
usage() {
	echo "usage: $0 [--quick] [--no-plot] [--poll LIST] [-- vi2c-bench options]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--no-plot) plot=0 ;;
	--poll)
		[ $# -ge 2 ] || usage
		polls=$2
		shift
		;;
	--) shift; bench_args+=("$@"); break ;;
	*) usage ;;
	esac
	shift
done
IFS=, read -r -a poll_list <<<"$polls"
for p in "${poll_list[@]}"; do
	if [ "$p" != default ] && ! [[ $p =~ ^[0-9]+$ ]]; then
		echo "bench.sh: invalid --poll value '$p' (default or nanoseconds)" >&2
		exit 2
	fi
done

scripts/install-deps.sh
if ! command -v jq >/dev/null; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends jq </dev/null >/dev/null
fi
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
stop_daemon() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	if [ -n "$pid" ]; then
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}
cleanup() {
	stop_daemon
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

mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)
reports=()
failed=0
for p in "${poll_list[@]}"; do
	poll_arg=()
	[ "$p" = default ] || poll_arg=(--poll-max-ns="$p")
	tag=poll-$p
	label="poll-max-ns=$p"
	json=$out/bench-$stamp-$tag.json
	txt=$out/bench-$stamp-$tag.txt
	echo "== daemon with 64 sockets, $label"
	"$daemon" -s "$tmp/vi2c.sock" -c 64 "${device[@]}" "${poll_arg[@]}" "${daemon_args[@]}" \
		2>"$tmp/daemon-$tag.log" &
	pid=$!
	echo "== vi2c-bench (pid $pid, $label)"
	status=0
	timeout 3600 "$build/vi2c-bench" --socket "$tmp/vi2c.sock" --sockets 64 --addr 0x10 \
		--pid "$pid" --label "$label" --footprint "$tmp/footprint.json" --json "$json" \
		"${counts[@]}" "${bench_args[@]}" | tee "$txt" || status=$?
	if [ "$status" != 0 ]; then
		# Measured but not clean (a failed or misbehaving configuration): go on.
		echo "bench.sh: vi2c-bench exited $status for $label (see FAILED/MISBEHAVED above)" >&2
		failed=1
	fi
	kill -TERM "$pid" 2>/dev/null || true
	status=0
	wait "$pid" || status=$?
	pid=
	if [ "$status" != 0 ]; then
		echo "bench.sh: the daemon ($label) exited with status $status on SIGTERM" >&2
		failed=1
	fi
	[ -s "$json" ] && reports+=("$json")
	ln -sfn "$(basename "$json")" "$out/latest-$tag.json"
	ln -sfn "$(basename "$txt")" "$out/latest-$tag.txt"
done
# latest.json: the first configuration (the daemon's defaults), as before.
if [ ${#reports[@]} -gt 0 ]; then
	ln -sfn "$(basename "${reports[0]}")" "$out/latest.json"
	ln -sfn "$(basename "${reports[0]%.json}.txt")" "$out/latest.txt"
fi
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"

summary=$out/bench-$stamp-summary.txt
if [ ${#reports[@]} -gt 0 ]; then
	{
		echo "side by side (medians over runs; x floor = ratio to the same run's eventfd floor)"
		printf '%-24s %-13s %8s %8s %7s %7s %10s %7s\n' configuration latency \
			"p50 us" "p99 us" "x50" "x99" "dmn ns/req" "dmn %"
		for j in "${reports[@]}"; do
			jq -r '.label as $l | .latency[] |
				[$l, .name,
				 (.p50_ns / 1000), (.p99_ns / 1000), .p50_x_floor, .p99_x_floor,
				 (.daemon_cpu_ns_per_request // -1),
				 ((.daemon_cpu_utilization // -0.01) * 100),
				 (if .failure then "FAILED: " + .failure
				  elif .misbehaviour then "MISBEHAVED: " + .misbehaviour
				  else "" end)]
				| @tsv' "$j" |
				while IFS=$'\t' read -r l n p50 p99 x50 x99 cpu util note; do
					printf '%-24s %-13s %8.2f %8.2f %7.2f %7.2f %10.0f %7.1f %s\n' \
						"$l" "$n" "$p50" "$p99" "$x50" "$x99" "$cpu" "$util" "$note"
				done
		done
		echo
		printf '%-24s %-7s %10s %10s %10s %14s\n' configuration guests "p50 us" "p99 us" \
			groups/s "dmn ns/req"
		for j in "${reports[@]}"; do
			jq -r '.label as $l | .scale[] | select(.failure == null) |
				[$l, .guests, (.p50_ns / 1000), (.p99_ns / 1000), .groups_per_s,
				 (.daemon_cpu_ns_per_request // -1)] | @tsv' "$j" |
				while IFS=$'\t' read -r l g p50 p99 gps cpu; do
					printf '%-24s %-7s %10.2f %10.2f %10.0f %14.0f\n' "$l" "$g" "$p50" \
						"$p99" "$gps" "$cpu"
				done
		done
		echo
		printf '%-24s %10s %12s %12s %18s\n' configuration "floor p50" "q256 ns/req" \
			"q1024 ns/req" "idle CPU %"
		for j in "${reports[@]}"; do
			jq -r '[.label, (.floor.p50_ns / 1000),
				(.throughput[0].daemon_cpu_ns_per_request // -1),
				(.throughput[1].daemon_cpu_ns_per_request // -1),
				(if .idle then ((.idle.daemon_cpu_utilization // -0.01) * 100)
				 else -1 end)] | @tsv' "$j" |
				while IFS=$'\t' read -r l f c1 c2 idle; do
					printf '%-24s %10.2f %12.0f %12.0f %18.3f\n' "$l" "$f" "$c1" "$c2" \
						"$idle"
				done
		done
	} | tee "$summary"
	ln -sfn "$(basename "$summary")" "$out/latest-summary.txt"
fi
echo "== results: ${reports[*]:-none}"
if [ "$plot" = 1 ] && [ ${#reports[@]} -gt 0 ]; then
	scripts/plot-bench.sh -o "$out/latency-vs-guests.svg" "${reports[@]}"
fi
exit "$failed"
