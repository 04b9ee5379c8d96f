#!/bin/sh
# BPMN process simulation in gemel and in SimPy, on the same model, the same
# number of cases, the same KPIs, in the same run. bench/process10.bpmn: 10
# tasks, an exclusive and a parallel gateway, 3 resource pools (the SimPy
# twin: bench/simpy_process10.py, which documents what both sides compute).
# Both simulate N cases (default 200,000; BENCH_CASES=N to change it) from
# the same parameters: gemel with bench/bench_process (5 runs, median), SimPy
# SIMPY_BENCH_RUNS times (default 3, median). Rates are cases per second of
# simulation only, no process start-up. Prints the KPIs of both, to check
# they simulate the same model, and last the line `ratio process10 X`: how
# many times more cases per second gemel simulates. Without SimPy (and no way
# to install it) it says so and exits 0.
# Usage: bench/process_vs_simpy.sh [BUILD_DIR]   (make bench runs it)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
bench="$build/bench/bench_process"
runs_simpy=${SIMPY_BENCH_RUNS:-3}
n=${BENCH_CASES:-200000}

py=/usr/bin/python3      # Debian's Python, where python3-simpy3 lives
scripts/setup.sh bench || true   # installs SimPy (python3-simpy3) if it can
if ! "$py" -c 'import simpy' 2>/dev/null; then
    echo "SimPy is not installed for $py (Debian package python3-simpy3): no comparison"
    exit 0
fi

if [ ! -x "$bench" ]; then
    echo "process_vs_simpy: $bench not found; build first (cmake --build --preset release)" >&2
    exit 1
fi

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

out=$("$bench" bench/process10.bpmn bench/process10.params.json "$n")
echo "$out"
gem=$(echo "$out" | sed -n 's/^median: \([0-9.]*\) cases\/s.*/\1/p')
kpi() { echo "$out" | awk -v k="$1" '$1 == "kpi" && $2 == k {print $3}'; }

simpy_cps=""
for i in $(seq "$runs_simpy"); do
    # shellcheck disable=SC2046 # the line's fields become $1..$8
    set -- $("$py" bench/simpy_process10.py "$n" "$i")
    simpy_cps="$simpy_cps $(awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}')"
    printf "SimPy run %d: %.0f cases/s  (%d cases; cycle_time_mean %.4f, t2.count %.4f, " \
        "$i" "$(awk -v n="$1" -v s="$2" 'BEGIN {print n / s}')" "$1" "$3" "$4"
    printf "utilization clerk %.4f expert %.4f manager %.4f)\n" "$5" "$6" "$7"
done
# shellcheck disable=SC2086 # one value per line
simpy=$(echo $simpy_cps | tr ' ' '\n' | median)
printf "gemel: %10.0f cases/s  (%d cases, median of 5; cycle_time_mean %s, utilization %s %s %s)\n" \
    "$gem" "$n" "$(kpi case.cycle_time_mean)" "$(kpi clerk.utilization)" \
    "$(kpi expert.utilization)" "$(kpi manager.utilization)"
printf "SimPy: %10.0f cases/s  (%d cases, median of %d; SimPy %s)\n" "$simpy" "$n" "$runs_simpy" \
    "$("$py" -c 'import simpy; print(simpy.__version__)')"
awk -v a="$gem" -v b="$simpy" 'BEGIN {printf "ratio process10 %.1f\n", a / b}'
