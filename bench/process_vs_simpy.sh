#!/bin/sh
# BPMN process simulation in gemel and in SimPy, on the same models, the same
# number of cases, the same KPIs, in the same run. Two models:
# - bench/process10.bpmn: 10 tasks, an exclusive and a parallel gateway, 3
#   resource pools, the model gemel's process engine was tuned on (SimPy twin:
#   bench/simpy_process10.py, which documents what both sides compute);
# - bench/claims.bpmn: an insurance claims process written for this
#   comparison and not tuned for: 11 tasks, a 3-way exclusive split, a rework
#   loop, a parallel split, 3 pools of 4, 2 and 2 units, exponential,
#   triangular, uniform and lognormal durations (bench/simpy_claims.py).
# Each model is simulated for N cases (default 200,000; BENCH_CASES=N to
# change it) from the same parameters: gemel with bench/bench_process (5
# runs, median), SimPy SIMPY_BENCH_RUNS times (default 3, median). Rates are
# cases per second of simulation only, no process start-up. Prints the KPIs
# of both, to check they simulate the same model, and last one line per
# model, `ratio process10 X` and `ratio claims Y`: how many times more cases
# per second gemel simulates. Without SimPy (and no way to install it) it
# says so and exits 0.
# Usage: bench/process_vs_simpy.sh [BUILD_DIR]   (make bench runs it)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
bench="$build/bench/bench_process"
gemel="$build/gemel"
runs_simpy=${SIMPY_BENCH_RUNS:-3}
n=${BENCH_CASES:-200000}

py=/usr/bin/python3      # Debian's Python, where python3-simpy3 lives
scripts/setup.sh bench || true   # installs SimPy (python3-simpy3) if it can
if ! "$py" -c 'import simpy' 2>/dev/null; then
    echo "SimPy is not installed for $py (Debian package python3-simpy3): no comparison"
    exit 0
fi

for exe in "$bench" "$gemel"; do
    if [ ! -x "$exe" ]; then
        echo "process_vs_simpy: $exe not found; build first (cmake --build --preset release)" >&2
        exit 1
    fi
done

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
simpy_version=$("$py" -c 'import simpy; print(simpy.__version__)')

# simpy_runs SCRIPT COUNT POOL1 POOL2 POOL3: runs the SimPy twin SCRIPT
# runs_simpy times on n cases and prints each run. Its line is "cases seconds
# cycle_time_mean COUNT POOL1.util POOL2.util POOL3.util ...". Sets simpy
# (the median cases/s) and simpy_kpi (the mean over the runs of cycle time,
# COUNT and the three utilisations).
simpy_runs() {
    script=$1 count=$2 p1=$3 p2=$4 p3=$5
    simpy_cps="" all=""
    for i in $(seq "$runs_simpy"); do
        line=$("$py" "$script" "$n" "$i")
        all="$all$line
"
        # shellcheck disable=SC2086 # the line's fields become $1..$8
        set -- $line
        simpy_cps="$simpy_cps $(awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}')"
        printf "SimPy run %d: %.0f cases/s  (%d cases; cycle_time_mean %.4f, %s %.4f, " \
            "$i" "$(awk -v n="$1" -v s="$2" 'BEGIN {print n / s}')" "$1" "$3" "$count" "$4"
        printf "utilization %s %.4f %s %.4f %s %.4f)\n" "$p1" "$5" "$p2" "$6" "$p3" "$7"
    done
    # shellcheck disable=SC2086 # one value per line
    simpy=$(echo $simpy_cps | tr ' ' '\n' | median)
    simpy_kpi=$(printf %s "$all" | awk 'NF {for (k = 3; k <= 7; k++) s[k] += $k; r++}
        END {printf "%.6f %.6f %.6f %.6f %.6f", s[3]/r, s[4]/r, s[5]/r, s[6]/r, s[7]/r}')
}

# ---- process10 ----------------------------------------------------------
out=$("$bench" bench/process10.bpmn bench/process10.params.json "$n")
echo "$out"
gem=$(echo "$out" | sed -n 's/^median: \([0-9.]*\) cases\/s.*/\1/p')
kpi() { echo "$out" | awk -v k="$1" '$1 == "kpi" && $2 == k {print $3}'; }

simpy_runs bench/simpy_process10.py t2.count clerk expert manager
printf "gemel: %10.0f cases/s  (%d cases, median of 5; cycle_time_mean %s, utilization %s %s %s)\n" \
    "$gem" "$n" "$(kpi case.cycle_time_mean)" "$(kpi clerk.utilization)" \
    "$(kpi expert.utilization)" "$(kpi manager.utilization)"
printf "SimPy: %10.0f cases/s  (%d cases, median of %d; SimPy %s)\n" "$simpy" "$n" "$runs_simpy" \
    "$simpy_version"
ratio_process10=$(awk -v a="$gem" -v b="$simpy" 'BEGIN {printf "%.1f", a / b}')

# ---- claims -------------------------------------------------------------
echo
echo "claims: 11 tasks, 3-way exclusive split, rework loop (0.2), parallel split, pools 4/2/2; $n cases, 1 replication, 1 thread"
# bench_process's first line describes process10 whatever model it runs.
out=$("$bench" bench/claims.bpmn bench/claims.params.json "$n")
echo "$out" | sed '1{/^process10:/d}'
gem=$(echo "$out" | sed -n 's/^median: \([0-9.]*\) cases\/s.*/\1/p')
# bench_process shows process10's KPIs; gemel process, with the same seed and
# replication (seed 1, replication 0), runs the same simulation and gives all
# of them.
json=$("$gemel" process bench/claims.bpmn --params bench/claims.params.json --cases "$n" \
    --reps 1 --threads 1 --seed 1 --json)
gem_kpi=$(printf %s "$json" | "$py" -c '
import json, sys
k = json.load(sys.stdin)["kpis"]
print(" ".join("%.6f" % k[name]["mean"] for name in (
    "case.cycle_time_mean", "calculate.count", "handler.utilization",
    "assessor.utilization", "manager.utilization")))')
# shellcheck disable=SC2086 # five fields
set -- $gem_kpi
if ! awk -v a="$1" -v b="$(kpi case.cycle_time_mean)" 'BEGIN {exit !(a - b < 1e-4 && b - a < 1e-4)}'; then
    echo "process_vs_simpy: gemel process gave cycle time $1, bench_process $(kpi case.cycle_time_mean): not the same run" >&2
    exit 1
fi
simpy_runs bench/simpy_claims.py calculate.count handler assessor manager
printf "gemel: %10.0f cases/s  (%d cases, median of 5; cycle_time_mean %.4f, calculate.count %.4f, " \
    "$gem" "$n" "$1" "$2"
printf "utilization handler %.4f assessor %.4f manager %.4f)\n" "$3" "$4" "$5"
printf "SimPy: %10.0f cases/s  (%d cases, median of %d; SimPy %s)\n" "$simpy" "$n" "$runs_simpy" \
    "$simpy_version"
# The two sides draw from different random streams: their KPIs agree within
# the sampling error (about 1% for the cycle time at 200,000 cases), not to
# the bit.
# shellcheck disable=SC2086 # five fields
echo "$gem_kpi $simpy_kpi" | awk '{
    split("cycle_time_mean calculate.count utilization.handler utilization.assessor utilization.manager", name)
    printf "KPIs, gemel against the mean of the SimPy runs:"
    for (k = 1; k <= 5; k++) printf " %s %+.2f%%", name[k], 100 * ($k - $(k + 5)) / $(k + 5)
    printf "\n"}'
ratio_claims=$(awk -v a="$gem" -v b="$simpy" 'BEGIN {printf "%.1f", a / b}')

echo "ratio process10 $ratio_process10"
echo "ratio claims $ratio_claims"
