#!/bin/sh
# Static checks on src/: the layer rule of DESIGN.md section 2, then cppcheck.
# Usage: scripts/check.sh BUILD_DIR  (a configured build, for compile_commands.json)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}

# 1. Layers: a file may include headers from its own folder and from folders
#    below it, never above. Order, bottom first (the program's cli/ is on top).
#    The simulation families (des/ and its siblings) sit right above num/:
#    des/ is the discrete-event core; qnet/ (queueing networks) stands on it;
#    evlog/ (event logs) on base/ only; process/ (BPMN processes) on des/ and
#    evlog/; procimport/ (Scylla, BIMP parameters) on process/. Monte Carlo
#    and supply chains come as further siblings. Being below model/, twin/
#    and store/, simulations run with no twin, store or server (DESIGN.md).
layers="base num des qnet evlog process procimport model twin series store analytics rules mirror engine connect server cli"
rank() {
    i=0
    for l in $layers; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo -1
}
bad=0
for f in $(find src -name '*.c' -o -name '*.h' | sort); do
    own=$(echo "$f" | cut -d/ -f2)
    own_rank=$(rank "$own")
    if [ "$own_rank" -lt 0 ]; then
        echo "check: $f: folder '$own' is not a layer of DESIGN.md" >&2
        bad=1
        continue
    fi
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\)\/.*".*/\1/p' "$f"); do
        r=$(rank "$inc")
        if [ "$r" -lt 0 ] || [ "$r" -gt "$own_rank" ]; then
            echo "check: $f: includes $inc/ which is above $own/ (or not a layer)" >&2
            bad=1
        fi
    done
done
# One library archive holds every object: two sources with one base name
# (say store/store.c and another store.c) make two store.c.o members in it.
dups=$(find src -name '*.c' -exec basename {} \; | sort | uniq -d)
if [ -n "$dups" ]; then
    for d in $dups; do
        echo "check: two sources named $d: $(find src -name "$d" | tr '\n' ' ')" >&2
    done
    bad=1
fi
[ $bad -eq 0 ] || exit 1

# 2. cppcheck over the library and program sources.
#    Findings we accept are listed, each with its reason, in .cppcheck-suppressions.
jobs=$(nproc 2>/dev/null || echo 2)
cppcheck --quiet --error-exitcode=1 -j "$jobs" \
    --enable=warning,performance,portability \
    --inline-suppr --suppressions-list=.cppcheck-suppressions \
    --std=c11 -D_GNU_SOURCE -D__GNUC__ -Isrc -I"$build/generated" \
    --library=posix \
    src
echo "check: layers and cppcheck clean"
