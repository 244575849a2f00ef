#!/usr/bin/env bash
# The benchmark, one command: `bash bench/run.sh` (from anywhere). Builds hubstat in release,
# generates three national years at scale 1.0 once (CSV and Parquet, about 25 million rows),
# then measures wall time and peak memory of check, every figure, both reports, a bare
# DataFusion scan (the floor) and DuckDB computing the quarterly report's figures with the
# same SQL (the peer), and writes bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/hubstat/target}"
data="${BENCH_DATA:-/tmp/hubstat-bench}"
period=2020Q3
today=2026-11-22

cargo build --release --quiet --bin hubstat --example scan
hubstat="$CARGO_TARGET_DIR/release/hubstat"
scan="$CARGO_TARGET_DIR/release/examples/scan"
mkdir -p "$data"
[ -f "$data/csv/visits.csv" ] || "$hubstat" synth --out "$data/csv" >/dev/null
[ -f "$data/parquet/visits.parquet" ] || "$hubstat" synth --out "$data/parquet" --format parquet >/dev/null
if [ ! -x "$data/venv/bin/python" ]; then
  python3 -m venv "$data/venv"
  "$data/venv/bin/pip" install --quiet duckdb
fi

rows=$(awk -F'\t' '{ s += $2 } END { print s }' < <("$scan" "$data/csv" | grep -v '^total'))
results="bench/RESULTS.md"
timing=$(mktemp)
body=$(mktemp)
trap 'rm -f "$timing" "$body"' EXIT

# measure NAME FORMAT COMMAND...: one table row of wall time, peak RSS and input rows per second.
measure() {
  local name=$1 format=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$timing" "$@" >/dev/null
  read -r wall rss < "$timing"
  printf '| %s | %s | %s s | %s MB | %s |\n' "$name" "$format" "$wall" "$((rss / 1024))" \
    "$(awk -v r="$rows" -v w="$wall" 'BEGIN { printf "%.1f M", r / w / 1e6 }')" >> "$body"
}

for format in csv parquet; do
  dir="$data/$format"
  measure "floor: DataFusion count(*) per table" "$format" "$scan" "$dir"
  measure "peer: DuckDB, quarterly report's figures" "$format" "$data/venv/bin/python" bench/duckdb_figures.py "$dir" "$period"
  measure "hubstat check" "$format" "$hubstat" check --data "$dir" --today "$today"
  for figure in coverage staffing visits service_links case_management discoveries team_standard teams_below_standard targets trend; do
    measure "hubstat query $figure (sido)" "$format" "$hubstat" query "$figure" --data "$dir" --period "$period" --level sido --today "$today"
  done
  measure "hubstat report quarterly" "$format" "$hubstat" report quarterly --data "$dir" --period "$period" --out "$data/out" --today "$today"
  measure "hubstat report city-progress (41)" "$format" "$hubstat" report city-progress --data "$dir" --period "$period" --region 41 --out "$data/out" --today "$today"
  rm -rf "$data/cache"
  measure "hubstat report quarterly --cache (first run, stores)" "$format" "$hubstat" report quarterly --data "$dir" --period "$period" --out "$data/out" --today "$today" --cache "$data/cache"
  measure "hubstat report quarterly --cache (later runs)" "$format" "$hubstat" report quarterly --data "$dir" --period "$period" --out "$data/out" --today "$today" --cache "$data/cache"
  measure "hubstat report city-progress (41) --cache (later runs)" "$format" "$hubstat" report city-progress --data "$dir" --period "$period" --region 41 --out "$data/out" --today "$today" --cache "$data/cache"
done

{
  echo "# Benchmark results"
  echo
  echo "Made by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ { print $2 }') GiB, hubstat $("$hubstat" --version | cut -d' ' -f2) (release build)."
  echo
  echo "Data: \`hubstat synth\` at scale 1.0, 2018-01-01 to 2020-12-31, $rows rows in all"
  echo "(CSV $(du -shL "$data/csv" | cut -f1), Parquet $(du -shL "$data/parquet" | cut -f1)). Period $period; rows/s counts every input row."
  echo
  echo "| command | input | wall | peak RSS | rows/s |"
  echo "|---|---|---|---|---|"
  cat "$body"
  echo
  echo "Every hubstat command reads and checks every row of every table against the data"
  echo "contract before it computes anything, unless \`--cache\` holds the checked tables of the"
  echo "same files (it still reads every file once to hash it); the floor only counts rows"
  echo "(for Parquet, from the file footers) and DuckDB only parses. See bench/README.md for"
  echo "what was tried and how the targets compare."
} > "$results"
cat "$results"
