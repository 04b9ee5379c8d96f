#!/bin/sh
# Run every benchmark program in BUILD_DIR/bench (make bench). Each prints its
# own figures; those with a peer tool run it in the same run and print the
# ratio last. A program that a bench/*.sh script runs itself (bench_qnet in
# qnet_vs_simpy.sh, say) runs there only, not twice.
set -eu
build=${1:-build/release}
for b in "$build"/bench/bench_*; do
    [ -x "$b" ] || continue
    if grep -q "bench/$(basename "$b")\b" bench/*.sh; then
        continue
    fi
    echo "== $(basename "$b")"
    "$b"
done
for s in bench/*.sh; do
    echo "== $(basename "$s" .sh)"
    "$s" "$build"
done
