#!/bin/sh
# M/M/3 (lambda 2.7, mu 1, 1,000,000 customers, one replication, one thread)
# in gemel and in SimPy on the same machine in the same run. Prints customers
# per second for each (median of several runs; simulation time only, no
# process start-up) and the ratio last.
# Usage: bench/mm3_vs_simpy.sh [BUILD_DIR]   (make bench runs it)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
gemel="$build/gemel"
runs_gemel=${GEMEL_BENCH_RUNS:-5}
runs_simpy=${SIMPY_BENCH_RUNS:-3}
n=1000000

scripts/setup.sh bench   # installs SimPy (python3-simpy3) if it is missing
py=/usr/bin/python3      # Debian's Python, where python3-simpy3 lives

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

echo "M/M/3, lambda 2.7, mu 1, $n customers, 1 replication, 1 thread"
gem_cps=""
for i in $(seq "$runs_gemel"); do
    out=$("$gemel" sim examples/mm3.json --threads 1 --json)
    secs=$(echo "$out" | sed -n 's/.*"wall_seconds": \([0-9.e+-]*\).*/\1/p')
    wait=$(echo "$out" | sed -n 's/.*"desk.wait_mean": {"mean": \([0-9.e+-]*\).*/\1/p')
    gem_cps="$gem_cps $(awk -v n=$n -v s="$secs" 'BEGIN {printf "%.0f", n / s}')"
done
gem=$(echo $gem_cps | tr ' ' '\n' | median)
printf "gemel: %12.0f customers/s  (median of %d; desk.wait_mean %s, theory 2.7235)\n" "$gem" "$runs_gemel" "$wait"

simpy_cps=""
for i in $(seq "$runs_simpy"); do
    set -- $("$py" bench/simpy_mm3.py $n "$i")
    simpy_cps="$simpy_cps $(awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}')"
    swait=$3
done
simpy=$(echo $simpy_cps | tr ' ' '\n' | median)
printf "SimPy: %12.0f customers/s  (median of %d; wait mean %.4f; SimPy %s)\n" "$simpy" "$runs_simpy" "$swait" \
    "$("$py" -c 'import simpy; print(simpy.__version__)')"
awk -v a="$gem" -v b="$simpy" 'BEGIN {printf "ratio gemel/SimPy: %.1fx (goal 100x)\n", a / b}'
