#!/bin/sh
# Queueing networks in gemel and in SimPy 3 on the same machine in the same
# run, on three models: examples/mm3.json (M/M/3, 1,000,000 customers),
# bench/tandem10.json (ten M/M/1 stations in series, 200,000 customers) and
# bench/jackson4.json (four stations of 1 to 3 servers with feedback
# routing, 500,000 customers). Both sides simulate the model file's number
# of customers and compute the same KPIs the same way (per station and
# system sums, time-integrals, warm-up and 20 batches: bench/simpy_qnet.py
# says how), and the script prints them beside the exact product-form
# values, to show that both simulate the same network.
#
# Speed is customers per second of CPU time of the simulation alone (no
# process start-up or model loading): gemel through bench/bench_qnet
# (median of GEMEL_BENCH_RUNS, default 5), SimPy through bench/simpy_qnet.py
# (median of SIMPY_BENCH_RUNS, default 3). CPU time, not wall-clock time,
# because on a shared machine a run's wall-clock time also counts the time
# other programs held the core; wall-clock rates are printed too. The last
# lines are one per model: "ratio NAME GEMEL/SIMPY". Without SimPy (and no
# way to install it) it says so and exits 0.
# Usage: bench/qnet_vs_simpy.sh [BUILD_DIR]   (make bench runs it)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
bench="$build/bench/bench_qnet"
runs_gemel=${GEMEL_BENCH_RUNS:-5}
runs_simpy=${SIMPY_BENCH_RUNS:-3}
models="examples/mm3.json bench/tandem10.json bench/jackson4.json"

py=/usr/bin/python3      # Debian's Python, where python3-simpy3 lives
scripts/setup.sh bench || true   # installs SimPy (python3-simpy3) if it can
if ! "$py" -c 'import simpy' 2>/dev/null; then
    echo "SimPy is not installed for $py (Debian package python3-simpy3): no comparison"
    exit 0
fi
if [ ! -x "$bench" ]; then
    echo "qnet_vs_simpy: $bench not found; build first (cmake --build --preset release)" >&2
    exit 1
fi

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2086 # one argument per model
"$bench" --runs "$runs_gemel" $models > "$tmp/gemel.out"
grep -v '^kpi ' "$tmp/gemel.out" | grep -v '^median '
echo "SimPy $("$py" -c 'import simpy; print(simpy.__version__)'), Python $("$py" -c \
    'import platform; print(platform.python_version())')"

ratios=""
for f in $models; do
    name=$(basename "$f" .json)
    awk -v n="$name" 'BEGIN {printf "{"; s = ""}
        $1 == "kpi" && $2 == n {printf "%s\"%s\": %s", s, $3, ($4 == "nan" ? "null" : $4); s = ", "}
        END {print "}"}' "$tmp/gemel.out" > "$tmp/gemel.json"
    # shellcheck disable=SC2046 # median's three fields
    set -- $(awk -v n="$name" '$1 == "median" && $2 == n {print $3, $4}' "$tmp/gemel.out")
    gem_cpu=$1
    gem_wall=$2
    cpu_cps=""
    wall_cps=""
    for i in $(seq "$runs_simpy"); do
        "$py" bench/simpy_qnet.py "$f" "$i" > "$tmp/simpy.out"
        # shellcheck disable=SC2046 # the first line's fields become $1..$3
        set -- $(head -n 1 "$tmp/simpy.out")
        tail -n 1 "$tmp/simpy.out" > "$tmp/simpy.json"
        c=$(awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}')
        w=$(awk -v n="$1" -v s="$3" 'BEGIN {printf "%.0f", n / s}')
        printf "  SimPy %s run %d: %6.3f k customers/s of CPU time (%.1f s), %6.3f k/s of wall time\n" \
            "$name" "$i" "$(awk -v c="$c" 'BEGIN {print c / 1e3}')" "$2" \
            "$(awk -v w="$w" 'BEGIN {print w / 1e3}')"
        cpu_cps="$cpu_cps $c"
        wall_cps="$wall_cps $w"
    done
    # shellcheck disable=SC2086 # one value per line
    simpy_cpu=$(echo $cpu_cps | tr ' ' '\n' | median)
    # shellcheck disable=SC2086
    simpy_wall=$(echo $wall_cps | tr ' ' '\n' | median)
    echo "$name: KPIs of seed 1 (gemel) and of the last SimPy run"
    "$py" bench/simpy_qnet.py --table "$f" "$tmp/gemel.json" "$tmp/simpy.json"
    printf "%s: gemel %.0f customers/s (wall %.0f), SimPy %.0f (wall %.0f); wall-clock ratio %.1f\n" \
        "$name" "$gem_cpu" "$gem_wall" "$simpy_cpu" "$simpy_wall" \
        "$(awk -v a="$gem_wall" -v b="$simpy_wall" 'BEGIN {print a / b}')"
    ratios="$ratios$(awk -v n="$name" -v a="$gem_cpu" -v b="$simpy_cpu" \
        'BEGIN {printf "ratio %s %.1f", n, a / b}')
"
done
printf "%s" "$ratios"
