#!/bin/sh
# Install the Debian packages gemel needs (scripts/packages.txt) that are missing.
# Idempotent and silent when everything is present. Uses apt-get as root, sudo
# otherwise; when it can do neither it prints the exact command to run and fails.
# `setup.sh bench` installs the benchmark peers (scripts/packages-bench.txt).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
    "") list="$here/packages.txt" ;;
    bench) list="$here/packages-bench.txt" ;;
    *) echo "usage: scripts/setup.sh [bench]" >&2; exit 2 ;;
esac

missing=""
for pkg in $(sed -e 's/#.*//' "$list"); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done

[ -z "$missing" ] && exit 0

echo "gemel setup: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
else
    echo "gemel setup: cannot install packages (not root, no password-less sudo)." >&2
    echo "gemel setup: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$as_root apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "gemel setup: done" >&2
