#!/usr/bin/env bash
# The benchmark, one command: `bash bench/run.sh` (from anywhere). Builds hubstat in release,
# generates three national years (CSV and Parquet, about 25 million rows) and ten national
# years (Parquet, about 64 million rows) once, then measures wall time and peak memory of
# hubstat's import, check, figures and reports from its store and straight from the files,
# side by side with DuckDB on the same files in the same run, and writes bench/RESULTS.md.
# Each measurement is run RUNS times (default 3) and the median is kept.
#
# `bash bench/run.sh --small` (what CI runs) does the same on the bundled sample, once each,
# with the debug build, into a folder of its own: it measures nothing worth keeping, but it
# fails when a peer no longer runs the queries or no longer gives hubstat's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/hubstat/target}"
small=false
[ "${1:-}" = "--small" ] && small=true
period=2020Q3
today=2026-11-22
venv="${BENCH_VENV:-${HOME:-/tmp}/.cache/hubstat/bench-venv}"

if $small; then
  cargo build --quiet --bin hubstat --example scan
  build="$CARGO_TARGET_DIR/debug"
  data=$(mktemp -d)
  runs=1
  formats=csv
  span=sample
  results="$data/RESULTS.md"
else
  cargo build --release --quiet --bin hubstat --example scan
  build="$CARGO_TARGET_DIR/release"
  data="${BENCH_DATA:-/tmp/hubstat-bench}"
  runs="${RUNS:-3}"
  formats="csv parquet"
  span=3y
  results="bench/RESULTS.md"
fi
hubstat="$build/hubstat"
scan="$build/examples/scan"
mkdir -p "$data"
if $small; then
  # The sample in the one form both read: UTF-8 CSV, each table as hubstat checked it, and
  # the built-in regions with their successors.
  mkdir -p "$data/csv"
  for table in teams team_areas staff visits service_links cases case_meetings discoveries targets; do
    "$hubstat" sql "SELECT * FROM $table" --data fixtures/sample --no-store --format csv > "$data/csv/$table.csv"
  done
  "$hubstat" regions import assets/regions/KIKcd_H.20240801.xlsx --out "$data/csv" >/dev/null
else
  [ -f "$data/csv/visits.csv" ] || "$hubstat" synth --out "$data/csv" >/dev/null
  [ -f "$data/parquet/visits.parquet" ] || "$hubstat" synth --out "$data/parquet" --format parquet >/dev/null
  [ -f "$data/ten/visits.parquet" ] || "$hubstat" synth --out "$data/ten" --format parquet --from 2011-01-01 >/dev/null
  [ -f "$data/one/visits.parquet" ] || "$hubstat" synth --out "$data/one" --format parquet --from 2020-01-01 >/dev/null
fi
if [ ! -x "$venv/bin/duckdb" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet duckdb duckdb-cli
fi
duckdb="$venv/bin/duckdb"
python="$venv/bin/python"

rows_of() { "$scan" "$1" | awk -F'\t' '$1 == "total" { print $2 }'; }
rows3=$(rows_of "$data/csv")
timing=$(mktemp)
body=$(mktemp)
sqlfile=$(mktemp)
trap 'rm -f "$timing" "$body" "$sqlfile"' EXIT

# measure NAME INPUT SETUP COMMAND...: runs SETUP (a shell snippet, e.g. removing a store)
# then COMMAND, RUNS times; one table row with the median wall time and peak RSS.
measure() {
  local name=$1 input=$2 setup=$3
  shift 3
  local walls=() rsss=()
  for _ in $(seq "$runs"); do
    eval "$setup"
    /usr/bin/time -f "%e %M" -o "$timing" "$@" >/dev/null
    read -r wall rss < "$timing"
    walls+=("$wall")
    rsss+=("$rss")
  done
  local wall rss
  wall=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  rss=$(printf '%s\n' "${rsss[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  printf '| %s | %s | %s s | %s MB |\n' "$name" "$input" "$wall" "$((rss / 1024))" >> "$body"
}

# agree DIR STORE: the peer's national figures are hubstat's, value for value.
agree() {
  local peer ours
  peer=$("$python" bench/duckdb_figures.py "$1" "$period" | grep -v '^duckdb ')
  ours=$(for figure in coverage staffing visits service_links case_management discoveries; do
    printf '%s,%s\n' "$figure" "$("$hubstat" query "$figure" --store "$2" --period "$period" --format csv | sed -n 2p)"
  done)
  if [ "$peer" != "$ours" ]; then
    echo "bench: DuckDB's figures differ from hubstat's on $1:" >&2
    diff <(echo "$peer") <(echo "$ours") >&2 || true
    exit 1
  fi
}

# matrix STORE INPUT: every figure × quarter, month, year, three-year range × national, sido,
# emd × recorded, end, each once with the default settings; one row with the slowest query's
# wall time and the largest peak RSS. A refused query stops the benchmark.
matrix() {
  local walls=() rsss=() slowest="" worst=0 figure p l g wall rss
  for figure in coverage staffing visits service_links case_management discoveries team_standard teams_below_standard targets trend; do
    for p in "--period $period" "--period 2020-07" "--period 2020" "--from 2018-01-01 --to 2020-12-31"; do
      for l in national sido emd; do
        for g in recorded end; do
          # shellcheck disable=SC2086
          if ! /usr/bin/time -f "%e %M" -o "$timing" "$hubstat" query "$figure" --store "$1" $p --level "$l" --geography "$g" >/dev/null; then
            echo "bench: query $figure $p --level $l --geography $g refused on $2" >&2
            exit 1
          fi
          read -r wall rss < "$timing"
          if awk "BEGIN { exit !($wall > $worst) }"; then worst=$wall; slowest="$figure $p $l $g"; fi
          walls+=("$wall")
          rsss+=("$rss")
        done
      done
    done
  done
  rss=$(printf '%s\n' "${rsss[@]}" | sort -g | tail -1)
  printf '| every figure × 4 period forms × 3 levels × 2 geographies (%s queries, none refused; wall: the slowest, %s) | %s | %s s | %s MB |\n' \
    "${#walls[@]}" "$slowest" "$2" "$worst" "$((rss / 1024))" >> "$body"
}

store="$data/store"
for format in $formats; do
  dir="$data/$format"
  s="$store-$format"
  measure "floor: DataFusion count(*) per table" "$format $span" ":" "$scan" "$dir"
  measure "DuckDB (Python): load the files, compute the quarterly figures" "$format $span" ":" "$python" bench/duckdb_figures.py "$dir" "$period"
  measure "DuckDB (Python): load the files only" "$format $span" ":" "$python" bench/duckdb_figures.py --load "$dir"
  measure "hubstat check, fresh store" "$format $span" "rm -rf $s" "$hubstat" check --data "$dir" --store "$s" --today "$today"
  measure "hubstat import, fresh store" "$format $span" "rm -rf $s" "$hubstat" import --data "$dir" --store "$s"
  measure "hubstat import + report quarterly, fresh store (first run)" "$format $span" "rm -rf $s" \
    sh -c "'$hubstat' report quarterly --data '$dir' --store '$s' --period $period --out '$data/out' --today $today"
  measure "hubstat report quarterly, --no-store" "$format $span" ":" "$hubstat" report quarterly --data "$dir" --no-store --period "$period" --out "$data/out" --today "$today"
  measure "hubstat import, nothing changed" "$format $span" ":" "$hubstat" import --data "$dir" --store "$s"
  measure "hubstat check, from the store" "$format $span" ":" "$hubstat" check --data "$dir" --store "$s" --today "$today"
  for figure in coverage staffing visits service_links case_management discoveries team_standard teams_below_standard targets trend; do
    measure "hubstat query $figure --level sido, from the store" "$format $span" ":" "$hubstat" query "$figure" --data "$dir" --store "$s" --period "$period" --level sido --today "$today"
  done
  # The warm peer: the files loaded once into a DuckDB database (not timed), the report's
  # figures then computed from it by the command line.
  rm -f "$data/warm-$format.duckdb"
  "$python" bench/duckdb_figures.py --db "$dir" > "$sqlfile"
  "$duckdb" "$data/warm-$format.duckdb" -f "$sqlfile"
  "$python" bench/duckdb_figures.py --db-sql "$period" > "$sqlfile"
  measure "DuckDB CLI: the quarterly figures from a database file loaded once (warm peer)" "$format $span" ":" "$duckdb" "$data/warm-$format.duckdb" -readonly -f "$sqlfile"
  # Each report as handed out (suppressed and audited, the default) and with --sdc off: the
  # difference is what the disclosure stage adds (the consistency checks run in both).
  for sdc in on off; do
    measure "hubstat report quarterly, from the store, --sdc $sdc" "$format $span" ":" "$hubstat" report quarterly --data "$dir" --store "$s" --period "$period" --out "$data/out" --today "$today" --sdc "$sdc"
    measure "hubstat report city-progress (41), from the store, --sdc $sdc" "$format $span" ":" "$hubstat" report city-progress --data "$dir" --store "$s" --period "$period" --region 41 --out "$data/out" --today "$today" --sdc "$sdc"
    measure "hubstat report city-progress (28, its 읍면동 sheets), from the store, --sdc $sdc" "$format $span" ":" "$hubstat" report city-progress --data "$dir" --store "$s" --period "$period" --region 28 --out "$data/out" --today "$today" --sdc "$sdc"
    measure "hubstat report city-progress --each sido (17 packs and the index), from the store, --sdc $sdc" "$format $span" ":" "$hubstat" report city-progress --data "$dir" --store "$s" --period "$period" --each sido --out "$data/out" --today "$today" --sdc "$sdc"
  done
  agree "$dir" "$s"
done
matrix "$store-${formats##* }" "${formats##* } $span"

if $small; then
  "$python" bench/duckdb_figures.py --sql "$data/csv" visits sido "$period" > "$sqlfile"
  measure "DuckDB CLI: visits by 시도, CSV export in place" "csv $span" ":" "$duckdb" -f "$sqlfile"
  [ "$("$duckdb" -list -separator , -f "$sqlfile")" = "$("$hubstat" query visits --store "$store-csv" --period "$period" --level sido --format csv)" ] \
    || { echo "bench: the DuckDB command line's visits by 시도 differ from hubstat's" >&2; exit 1; }
  echo "# Benchmark, small mode (the sample, once each, debug build): not results to keep"
  echo
  echo "| command | input | wall | peak RSS |"
  echo "|---|---|---|---|"
  cat "$body"
  rm -rf "$data"
  exit 0
fi
rows10=$(rows_of "$data/ten")

"$python" bench/duckdb_figures.py --sql "$data/parquet" visits sido "$period" > "$sqlfile"
measure "DuckDB CLI: visits by 시도, Parquet export in place" "parquet 3y" ":" "$duckdb" -f "$sqlfile"
measure "hubstat query visits --level sido, store without --data" "parquet 3y" ":" "$hubstat" query visits --store "$store-parquet" --period "$period" --level sido

# diff: the three CSV years against a revision of them: every 5,000th visit removed, every
# 7,000th of another channel, every 9,000th moved to 2020-12-31, 1,000 added, every 500th
# staff row still open given an end. The other tables are the same files (hard links).
revised="$data/csv-revised"
if [ ! -f "$revised/visits.csv" ]; then
  mkdir -p "$revised"
  for f in "$data"/csv/*.csv; do ln -f "$f" "$revised/$(basename "$f")"; done
  rm "$revised/visits.csv" "$revised/staff.csv"
  awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } NR % 5000 == 0 { next }
    NR % 7000 == 0 { $6 = "기타" } NR % 9000 == 0 { $5 = "2020-12-31" } { print }
    END { for (i = 1; i <= 1000; i++) print "VX" sprintf("%07d", i), "1111051500", "", "HX" i, "2020-11-15", "방문", "노인" }' \
    "$data/csv/visits.csv" > "$revised/visits.csv"
  awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } NR % 500 == 0 && $7 == "" { $7 = "2020-11-01" } { print }' \
    "$data/csv/staff.csv" > "$revised/staff.csv"
fi
"$hubstat" import --data "$revised" --store "$store-revised" >/dev/null
diff_sql() {
  local on="o.visit_id = n.visit_id" s e
  s=$("$python" -c "import sys; y, q = sys.argv[1].split('Q'); print(f'{y}-{3 * int(q) - 2:02d}-01')" "$1")
  e=$("$python" -c "import sys, calendar; y, q = map(int, sys.argv[1].split('Q')); m = 3 * q; print(f'{y}-{m:02d}-{calendar.monthrange(y, m)[1]}')" "$1")
  cat <<SQL
CREATE VIEW o AS SELECT * FROM read_csv('$data/csv/visits.csv', all_varchar = true);
CREATE VIEW n AS SELECT * FROM read_csv('$revised/visits.csv', all_varchar = true);
WITH k AS (
  SELECT visit_id FROM o WHERE visited_on BETWEEN '$s' AND '$e'
  UNION SELECT visit_id FROM n WHERE visited_on BETWEEN '$s' AND '$e'
)
SELECT CASE WHEN o.visit_id IS NULL THEN 'added' WHEN n.visit_id IS NULL THEN 'removed' ELSE 'changed' END AS change, count(*)
FROM (SELECT * FROM o SEMI JOIN k USING (visit_id)) o FULL JOIN (SELECT * FROM n SEMI JOIN k USING (visit_id)) n ON $on
WHERE o.visit_id IS NULL OR n.visit_id IS NULL
   OR (o.emd_code, o.team_id, o.household_id, o.visited_on, o.channel, o.target_group)
      IS DISTINCT FROM (n.emd_code, n.team_id, n.household_id, n.visited_on, n.channel, n.target_group)
GROUP BY 1;
SQL
}
diff_sql "$period" > "$sqlfile"
measure "DuckDB CLI: visits added, removed and changed, two CSV exports in place" "csv 3y, twice" ":" "$duckdb" -f "$sqlfile"
# diff exits 1 when something changed, as here.
measure "hubstat diff --level sido (every figure, then the rows of every table), two stores" "csv 3y, twice" ":" \
  sh -c "'$hubstat' diff --old '$store-csv' --new '$store-revised' --period $period --level sido; [ \$? -le 1 ]"

"$hubstat" import --data "$data/one" --store "$store-one" >/dev/null
matrix "$store-one" "parquet 1y"

ten="$store-ten"
"$python" bench/duckdb_figures.py --sql "$data/ten" visits sido "$period" > "$sqlfile"
measure "DuckDB CLI: visits by 시도, Parquet export in place" "parquet 10y" ":" "$duckdb" -f "$sqlfile"
measure "hubstat import, fresh store" "parquet 10y" "rm -rf $ten" "$hubstat" import --data "$data/ten" --store "$ten"
measure "hubstat query visits --level sido, store without --data" "parquet 10y" ":" "$hubstat" query visits --store "$ten" --period "$period" --level sido
measure "hubstat report quarterly, from the store" "parquet 10y" ":" "$hubstat" report quarterly --store "$ten" --period "$period" --out "$data/out"
matrix "$ten" "parquet 10y"

{
  echo "# Benchmark results"
  echo
  echo "Made by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ { print $2 }') GiB, hubstat $("$hubstat" --version | cut -d' ' -f2) (release build), DuckDB $("$duckdb" --version | cut -d' ' -f1)."
  echo
  echo "Data: \`hubstat synth\` at scale 1.0: one national year (2020, Parquet, for a matrix),"
  echo "three national years (2018-2020, $rows3 rows; CSV"
  echo "$(du -shL "$data/csv" | cut -f1), Parquet $(du -shL "$data/parquet" | cut -f1)) and ten (2011-2020, $rows10 rows, Parquet"
  echo "$(du -shL "$data/ten" | cut -f1)). Period $period. Each figure is the median of $runs run(s)."
  echo
  echo "| command | input | wall | peak RSS |"
  echo "|---|---|---|---|"
  cat "$body"
  echo
  echo "\`diff\` computes all ten figures on both exports and compares the rows of all eleven"
  echo "tables; the DuckDB row compares the visits alone (both find the same rows)."
  echo
  echo "\"From the store\" runs bring the store up to date first (nothing changed: the files"
  echo "are only looked at), then read the Parquet tables in place. See bench/README.md for"
  echo "the targets and what was tried."
} > "$results"
cat "$results"
