#!/bin/sh
# Run every benchmark program in BUILD_DIR/bench (make bench). Each prints its
# own figures; those with a peer tool run it in the same run and print the
# ratio last.
set -eu
build=${1:-build/release}
for b in "$build"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b"
done
for s in bench/*.sh; do
    echo "== $(basename "$s" .sh)"
    "$s" "$build"
done
