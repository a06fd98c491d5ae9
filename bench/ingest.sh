#!/usr/bin/env bash
# Ingest benchmark (issue: foundation). Generates a 5,000,000-row AMLworld-shaped *_Trans.csv
# (500,000 accounts) and times `finmon scan` end to end on it: as CSV alone, as CSV with its
# *_accounts.csv, and converted to finmon-format Parquet. Prints a Markdown table.
#
#   bench/ingest.sh                 # ROWS=5000000 RUNS=3 DIR=/tmp/finmon-bench
#   ROWS=1000000 RUNS=1 bench/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-5000000}
RUNS=${RUNS:-3}
DIR=${DIR:-/tmp/finmon-bench}
ACCOUNTS=$((ROWS / 10))

cargo build --release -p finmon -p finmon-bench >&2
FINMON=target/release/finmon
mkdir -p "$DIR"
if [ ! -s "$DIR/aw/bench_Trans.csv" ] || [ "$(wc -l < "$DIR/aw/bench_Trans.csv")" -ne $((ROWS + 1)) ]; then
  target/release/gen-amlworld "$DIR/aw" --rows "$ROWS" --accounts "$ACCOUNTS" --seed 1 >&2
fi
mkdir -p "$DIR/aw-trans"
ln -sf "$DIR/aw/bench_Trans.csv" "$DIR/aw-trans/bench_Trans.csv"
if [ ! -s "$DIR/parquet/transactions.parquet" ]; then
  "$FINMON" convert "$DIR/aw-trans" "$DIR/parquet" --to parquet >&2
fi

# One case: the median of RUNS scans; ingest rate and memory from summary.json, peak RSS and
# wall time from /usr/bin/time.
run_case() {
  local name=$1 data=$2
  local results=()
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$FINMON" scan "$data" --out "$DIR/out" > /dev/null 2>&1
    results+=("$(python3 - "$DIR" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/out/summary.json"))
wall, peak_kb = open(f"{d}/time.txt").read().split()
n = s["tables"]["transactions"]["accepted"]
m = s["memory"]
print(f'{float(wall):.2f} {n / float(wall):.0f} {s["seconds"]["ingest"]:.2f} {s["transactions_per_second"]:.0f} '
      f'{m["rss_bytes_per_transaction"]} {m["column_bytes_per_transaction"]} {int(peak_kb) // 1024}')
PY
)")
  done
  local median
  median=$(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  read -r wall e2e ingest rate rss cols peak <<< "$median"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$wall" "$e2e" "$ingest" "$rate" "$rss" "$cols" "$peak"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "rows: $ROWS, accounts: $ACCOUNTS, runs: $RUNS (median shown)"
echo
echo "| input | wall s | rows/s end to end | ingest s | rows/s ingest | RSS B/tx after load | column B/tx | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
run_case "AMLworld *_Trans.csv (CSV)" "$DIR/aw-trans"
run_case "AMLworld *_Trans.csv + *_accounts.csv" "$DIR/aw"
run_case "finmon-format Parquet (converted)" "$DIR/parquet"
