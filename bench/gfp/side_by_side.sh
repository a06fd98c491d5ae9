#!/usr/bin/env bash
# finmon's graph build + pattern mining and GFP's feature computation on the same
# AMLworld-shaped data, one after the other on the same machine. Prints both tables.
#
#   VENV=/work/venv-gfp bench/gfp/side_by_side.sh            # 5M rows, 500k accounts
#   ROWS=1000000 VENV=/work/venv-gfp bench/gfp/side_by_side.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-5000000}
DIR=${DIR:-/tmp/finmon-bench}
VENV=${VENV:-/work/venv-gfp}
ACCOUNTS=$((ROWS / 10))
OUT=${OUT:-$DIR/side-by-side}
mkdir -p "$OUT"

cargo build --release -p finmon-bench -p finmon-graph --example mine_bench >&2
TARGET=${CARGO_TARGET_DIR:-target}
if [ ! -s "$DIR/aw/bench_Trans.csv" ] || [ "$(wc -l < "$DIR/aw/bench_Trans.csv")" -ne $((ROWS + 1)) ]; then
  "$TARGET/release/gen-amlworld" "$DIR/aw" --rows "$ROWS" --accounts "$ACCOUNTS" --seed 1 >&2
fi
mkdir -p "$DIR/aw-trans"
ln -sf "$DIR/aw/bench_Trans.csv" "$DIR/aw-trans/bench_Trans.csv"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## finmon (graph build + every pattern, default settings)"
/usr/bin/time -f "process: %e s wall, %U s user, %S s sys, %M KB peak" \
  "$TARGET/release/examples/mine_bench" "$DIR/aw-trans" 2>&1 | grep -v '^e\.g\.' | tee "$OUT/finmon.txt"
echo
echo "## GFP (snapml GraphFeaturePreprocessor.fit_transform, 2 threads, default windows)"
/usr/bin/time -f "process: %e s wall, %U s user, %S s sys, %M KB peak" \
  "$VENV/bin/python" bench/gfp/gfp_speed.py "$DIR/aw/bench_Trans.csv" --threads 2 --json "$OUT/gfp.json" 2>&1 | tee "$OUT/gfp.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
