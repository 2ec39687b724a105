#!/usr/bin/env bash
# Plots latency against the number of busy guests from a vi2c-bench JSON report
# (gnuplot; installed from Debian's gnuplot-nox if missing).
#
#   scripts/plot-bench.sh REPORT.json [OUT.svg|OUT.png]
# Default output: docs/performance-latency.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
json=${1:?usage: $0 REPORT.json [OUT.svg|OUT.png]}
outfile=${2:-docs/performance-latency.svg}

need=()
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi

data=$(mktemp /tmp/vi2c-plot-XXXXXX)
trap 'rm -f "$data"' EXIT
# guests p50 p99 p99.9 (microseconds), one line per scale point
jq -r '.scale[] | select(.failure == null)
	| "\(.guests) \(.p50_ns / 1000) \(.p99_ns / 1000) \(.p999_ns / 1000)"' "$json" >"$data"
if [ ! -s "$data" ]; then
	echo "plot-bench.sh: no scale results in $json" >&2
	exit 1
fi
floor=$(jq -r '.floor.p50_ns / 1000' "$json")
title=$(jq -r '"vhost-user-i2c: latency of one i2cget group vs busy guests (\(.machine.nproc) x \(.machine.cpu), Linux \(.machine.kernel))"' "$json")

case $outfile in
*.png) term="pngcairo size 900,560 font 'sans,10'" ;;
*) term="svg size 900,560 dynamic font 'sans,12'" ;;
esac

gnuplot <<GP
set terminal $term
set output '$outfile'
set title "$title" noenhanced
set xlabel 'guests connected and busy (each: one group at a time, queue of 4)'
set ylabel 'latency, publish to used + call (us)'
set logscale xy
set xtics (1, 2, 4, 8, 16, 32, 64)
set grid
set key top left
set xrange [0.8:80]
plot '$data' using 1:2 with linespoints lw 2 pt 7 title 'p50', \
     '$data' using 1:3 with linespoints lw 2 pt 5 title 'p99', \
     '$data' using 1:4 with linespoints lw 2 pt 9 title 'p99.9', \
     $floor with lines dt 2 lw 2 title 'floor p50 (eventfd ping-pong)'
GP
echo "plot: $outfile"
