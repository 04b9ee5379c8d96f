#!/bin/sh
# Run every libFuzzer target in BUILD_DIR for SECONDS each, with a corpus kept
# under build/ (not committed). A crash stops the run and leaves the input in
# the corpus folder; reproduce with: BUILD_DIR/fuzz/fuzz_X CRASH_FILE
set -eu
build=${1:-build/fuzz}
secs=${2:-30}
found=0
for f in "$build"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    found=1
    name=$(basename "$f")
    corpus="$build/corpus-$name"
    mkdir -p "$corpus"
    seeds="fuzz/seeds/${name#fuzz_}"
    [ -d "$seeds" ] || seeds=""
    echo "fuzz: $name for ${secs}s"
    "$f" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$corpus/" \
        "$corpus" $seeds 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY)" || true
    if ls "$corpus"/crash-* "$corpus"/leak-* "$corpus"/timeout-* >/dev/null 2>&1; then
        echo "fuzz: $name found a failing input in $corpus" >&2
        exit 1
    fi
done
[ $found -eq 1 ] || { echo "fuzz: no targets in $build/fuzz" >&2; exit 1; }
echo "fuzz: no failures"
