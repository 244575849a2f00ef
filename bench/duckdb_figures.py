#!/usr/bin/env python3
"""The benchmark's peer: DuckDB computing the figures of `hubstat report quarterly` from the
same files with the same SQL (queries/*.sql, parameters written in as literals, the shared
views of queries/_prelude.sql created as DuckDB views). Used only by bench/run.sh.

Usage: python3 bench/duckdb_figures.py DATA_DIR PERIOD_QUARTER   (e.g. /tmp/hb/csv 2020Q3)
Prints the national row of each figure (`figure,value,...`, as hubstat's CSV writes them)
and the time taken, loading included.

       python3 bench/duckdb_figures.py --load DATA_DIR
Loads the files into tables and stops: the peer of `hubstat check` on a fresh store.

       python3 bench/duckdb_figures.py --sql DATA_DIR FIGURE LEVEL PERIOD_QUARTER
Prints, for the `duckdb` command line, one figure's SQL over the export read in place (views
over read_parquet, or read_csv for a table without Parquet; no loading): what an analyst would
type instead of hubstat query.

       python3 bench/duckdb_figures.py --db DATA_DIR
Prints, for `duckdb DATABASE -f`, the statements that load the files into a database file,
once: what an analyst who keeps one holds (the command line's own DuckDB writes the file, so
that the command line can read it).

       python3 bench/duckdb_figures.py --db-sql PERIOD_QUARTER
Prints, for `duckdb DATABASE -readonly -f`, every figure `main` computes, over that database's
tables (periods, geography and views as temporary objects): the warm peer of hubstat's report
from its store.
"""
import datetime as dt
import os
import re
import sys
import time

import duckdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TYPES = {
    "regions": {"emd_code": "VARCHAR", "emd_name": "VARCHAR", "emd_type": "VARCHAR", "sgg_code": "VARCHAR",
                "sgg_name": "VARCHAR", "sido_code": "VARCHAR", "sido_name": "VARCHAR", "valid_from": "DATE",
                "valid_to": "DATE", "population": "BIGINT"},
    "teams": {"team_id": "VARCHAR", "emd_code": "VARCHAR", "team_type": "VARCHAR", "established_on": "DATE",
              "closed_on": "DATE"},
    "team_areas": {"team_id": "VARCHAR", "emd_code": "VARCHAR"},
    "staff": {"staff_id": "VARCHAR", "team_id": "VARCHAR", "sector": "VARCHAR", "role": "VARCHAR",
              "grade": "VARCHAR", "assigned_on": "DATE", "left_on": "DATE"},
    "visits": {"visit_id": "VARCHAR", "emd_code": "VARCHAR", "team_id": "VARCHAR", "household_id": "VARCHAR",
               "visited_on": "DATE", "channel": "VARCHAR", "target_group": "VARCHAR"},
    "service_links": {"link_id": "VARCHAR", "emd_code": "VARCHAR", "household_id": "VARCHAR",
                      "linked_on": "DATE", "sector": "VARCHAR", "domain": "VARCHAR"},
    "cases": {"case_id": "VARCHAR", "emd_code": "VARCHAR", "household_id": "VARCHAR", "opened_on": "DATE",
              "closed_on": "DATE", "closure_reason": "VARCHAR", "referred_on": "DATE"},
    "case_meetings": {"meeting_id": "VARCHAR", "case_id": "VARCHAR", "held_on": "DATE", "kind": "VARCHAR"},
    "discoveries": {"discovery_id": "VARCHAR", "emd_code": "VARCHAR", "household_id": "VARCHAR",
                    "found_on": "DATE", "source": "VARCHAR", "outcome": "VARCHAR"},
    "targets": {"year": "BIGINT", "region_code": "VARCHAR", "metric": "VARCHAR", "target": "DOUBLE"},
}
FIGURES = ["coverage", "staffing", "visits", "service_links", "case_management", "discoveries"]


def quarter(label, back=0):
    y, q = int(label[:4]), int(label[5])
    i = y * 4 + q - 1 - back
    y, q = divmod(i, 4)
    start = dt.date(y, 3 * q + 1, 1)
    end = (dt.date(y + (q == 3), (3 * q + 3) % 12 + 1, 1) - dt.timedelta(days=1))
    return f"{y}Q{q + 1}", start, end


def bind(sql, params):
    def literal(m):
        v = params[m.group(1)]
        if v is None:
            return "NULL"
        if isinstance(v, dt.date):
            return f"DATE '{v.isoformat()}'"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return "'" + v.replace("'", "''") + "'"
    sql = re.sub(r"\$([a-z_]+)", literal, sql)
    # DuckDB's ordered aggregate is first(...), not first_value(...); its HyperLogLog count
    # is approx_count_distinct.
    return sql.replace("first_value(", "first(").replace("approx_distinct(", "approx_count_distinct(")


def prelude_views():
    text = open(os.path.join(ROOT, "queries", "_prelude.sql"), encoding="utf-8").read()
    for chunk in text.split("\n-- view: ")[1:]:
        name, sql = chunk.split("\n", 1)
        yield name.strip(), sql.strip().rstrip(";")


# `geo_units` and `geo_codes` of the recorded geography: every code counts as itself, as
# hubstat's `--geography recorded` gives them. Temporary, so that a read-only database takes them.
GEOGRAPHY = [
    "CREATE OR REPLACE TEMP TABLE geo_units AS "
    "SELECT emd_code, emd_code AS unit, sgg_code, sido_code FROM regions",
    "CREATE OR REPLACE TEMP TABLE geo_codes AS "
    "SELECT DISTINCT sgg_code AS code, sgg_code AS geo_code FROM regions "
    "UNION SELECT DISTINCT sido_code, sido_code FROM regions",
]


def parameters(start, end, level):
    """The figures' parameters as hubstat binds them, for the recorded geography."""
    return {"start": start, "end": end, "as_of": end, "level": level, "scope": "",
            "year": end.year, "year_start": dt.date(end.year, 1, 1), "geography_day": None,
            "disclosure": False}


def figure_statements(figure, periods, params):
    """The statements of one figure over tables already there: the periods, the prelude's
    views bound to `params`, then the figure's query, last."""
    rows = ", ".join(f"('{n}', DATE '{s}', DATE '{e}')" for n, s, e in periods)
    out = ["CREATE OR REPLACE TEMP TABLE periods (period VARCHAR, period_start DATE, period_end DATE)",
           f"INSERT INTO periods VALUES {rows}"]
    for view, sql in prelude_views():
        out.append(f"CREATE OR REPLACE TEMP VIEW {view} AS {bind(sql, params)}")
    sql = open(os.path.join(ROOT, "queries", f"{figure}.sql"), encoding="utf-8").read()
    # The figure's published columns: those holding `__` are hubstat's internal ones.
    query = bind(sql, params).strip().rstrip(";")
    out.append(f"SELECT COLUMNS(lambda c: NOT contains(c, '__')) FROM ({query}) AS figure")
    return out


def script(statements):
    """Statements as a script for the duckdb command line."""
    return ";\n".join(statements) + ";"


def run(con, figure, periods, params):
    *setup, query = figure_statements(figure, periods, params)
    for statement in setup:
        con.execute(statement)
    return con.execute(query).fetchall()


def load_statements(data):
    """The statements that load the export's files into tables."""
    out = []
    for table, types in TYPES.items():
        for ext in ("csv", "parquet"):
            path = os.path.join(data, f"{table}.{ext}")
            if not os.path.exists(path):
                continue
            if ext == "csv":
                source = f"read_csv('{path}', header=true, columns={types!r})"
            else:
                source = f"read_parquet('{path}')"
            # Tables, as hubstat holds them in memory once and answers every figure from them.
            out.append(f"CREATE TABLE {table} AS SELECT * FROM {source}")
    if not os.path.exists(os.path.join(data, "team_areas.csv")) and not os.path.exists(
            os.path.join(data, "team_areas.parquet")):
        out.append("CREATE TABLE team_areas (team_id VARCHAR, emd_code VARCHAR)")
    return out


def load(data):
    con = duckdb.connect()
    for statement in load_statements(data) + GEOGRAPHY:
        con.execute(statement)
    return con


def asks(label):
    """Every (figure, level, periods, parameters) of the report: each of its figures by 시도 and
    nationally for the quarter, the one before and the one a year before; the trend."""
    for back in (0, 1, 4):
        name, start, end = quarter(label, back)
        for level in ("sido", "national"):
            params = parameters(start, end, level)
            for figure in FIGURES:
                yield figure, level, [(name, start, end)], params, back == 0
    _, _, end = quarter(label)
    quarters = [quarter(label, b) for b in range(7, -1, -1)]
    yield "trend", "national", quarters, parameters(quarters[0][1], end, "national"), False


def main(data, label):
    started = time.time()
    con = load(data)
    loaded = time.time() - started
    for figure, level, periods, params, shown in asks(label):
        rows = run(con, figure, periods, params)
        if level == "national" and shown:
            print(figure + "," + ",".join(text(v) for v in rows[0]))
    print(f"duckdb loaded {loaded:.2f} s, total {time.time() - started:.2f} s")


def warm_sql(label):
    """The figures of `main` as one script over a database that holds the tables."""
    out = list(GEOGRAPHY)
    for figure, _, periods, params, _ in asks(label):
        out.extend(figure_statements(figure, periods, params))
    print(script(out))


def text(value):
    """A value as hubstat's CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cli_sql(data, figure, level, label):
    """One figure over the Parquet files in place, as a script for the duckdb command line."""
    name, start, end = quarter(label)
    params = parameters(start, end, level)
    out = []
    for table, types in TYPES.items():
        path = os.path.join(data, f"{table}.parquet")
        if os.path.exists(path):
            out.append(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
        elif os.path.exists(path[:-len("parquet")] + "csv"):
            out.append(f"CREATE VIEW {table} AS SELECT * FROM "
                       f"read_csv('{path[:-len('parquet')]}csv', header=true, columns={types!r})")
    if not any(os.path.exists(os.path.join(data, f"team_areas.{ext}")) for ext in ("csv", "parquet")):
        out.append("CREATE TABLE team_areas (team_id VARCHAR, emd_code VARCHAR)")
    out.extend(GEOGRAPHY + figure_statements(figure, [(name, start, end)], params))
    print(script(out))


if __name__ == "__main__":
    if sys.argv[1] == "--sql":
        cli_sql(*sys.argv[2:6])
    elif sys.argv[1] == "--db":
        print(script(load_statements(sys.argv[2])))
    elif sys.argv[1] == "--db-sql":
        warm_sql(sys.argv[2])
    elif sys.argv[1] == "--load":
        started = time.time()
        load(sys.argv[2])
        print(f"duckdb loaded {time.time() - started:.2f} s")
    else:
        main(sys.argv[1], sys.argv[2])
