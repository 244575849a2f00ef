#!/usr/bin/env python3
"""Build hubstat's built-in regions table from the 행정기관코드 history.

Usage: python3 assets/regions/make_regions.py ../shared/reference/admin/emd_code_history.csv

Writes assets/regions/regions.csv in the data contract's `regions` layout:
읍·면·동 rows only (출장소·분소·지소 left out), `created` -> valid_from,
`abolished` -> valid_to (exclusive), dates as YYYY-MM-DD, and without the
5 unrecovered 면 north of the DMZ under both their 42 and 51 codes.

Two repairs of the source, so that every row passes the contract's checks:
- an empty sgg_name (세종특별자치시 has no 시군구; a few old 영주시 rows) takes the
  name the same sgg_code has in its latest row, or else the 시도 name;
- a row abolished before it was created (4311073000, 1990-04-01 / 1990-03-31)
  is kept as never valid: valid_to = valid_from.
"""
import csv
import os
import sys

# 철원군 근동·원동·원남·임남면, 고성군 수동면: no residents, left out of statistics.
UNRECOVERED = {
    "4278034000", "4278035000", "4278036000", "4278037000", "4282034000",
    "5178034000", "5178035000", "5178036000", "5178037000", "5182034000",
}


def iso(d):
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}" if d else ""


def main(src):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regions.csv")
    with open(src, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f)
                if r["emd_type"] in ("읍", "면", "동") and r["emd_code"] not in UNRECOVERED]
    rows.sort(key=lambda r: (r["emd_code"], r["created"]))
    sgg_names = {}
    for r in sorted(rows, key=lambda r: r["created"]):
        if r["sgg_name"]:
            sgg_names[r["sgg_code"]] = r["sgg_name"]
    for r in rows:
        if not r["sgg_name"]:
            r["sgg_name"] = sgg_names.get(r["sgg_code"], r["sido_name"])
        if r["abolished"] and r["abolished"] < r["created"]:
            r["abolished"] = r["created"]
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["emd_code", "emd_name", "emd_type", "sgg_code", "sgg_name",
                    "sido_code", "sido_name", "valid_from", "valid_to", "population"])
        for r in rows:
            w.writerow([r["emd_code"], r["emd_name"], r["emd_type"], r["sgg_code"], r["sgg_name"],
                        r["sido_code"], r["sido_name"], iso(r["created"]), iso(r["abolished"]), ""])
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/admin/emd_code_history.csv")
