#!/usr/bin/env python3
"""Make an export folder with a large visits.csv, for measuring `hubstat check`.

Usage: python3 bench/make_visits.py OUT_DIR [ROWS]   (default 4,000,000 rows)

Real 읍면동 codes from the built-in regions valid in 2020, one team per 읍면동,
visits spread over 2020. Fixed seed: the same file every time.
"""
import csv
import os
import random
import sys


def main(out, rows):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "assets", "regions", "regions.csv"), encoding="utf-8") as f:
        emds = [r["emd_code"] for r in csv.DictReader(f)
                if r["valid_from"] <= "2020-01-01" and (not r["valid_to"] or r["valid_to"] > "2020-12-31")]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(4_000_000)
    with open(os.path.join(out, "teams.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("team_id,emd_code,team_type,established_on,closed_on\n")
        for i, e in enumerate(emds):
            f.write(f"T{i:05d},{e},기본형,2017-01-01,\n")
    with open(os.path.join(out, "staff.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("staff_id,team_id,sector,role,grade,assigned_on,left_on\n")
        for i in range(len(emds)):
            f.write(f"S{i:05d},T{i:05d},공공,팀장,6급,2017-01-01,\n")
    with open(os.path.join(out, "service_links.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("link_id,emd_code,household_id,linked_on,sector,domain\n")
    channels = ["방문", "방문", "전화", "내방", "기타"]
    groups = ["노인", "장애인", "아동", "출산가정", "위기가구", "기타"]
    days = [f"2020-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    with open(os.path.join(out, "visits.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("visit_id,emd_code,team_id,household_id,visited_on,channel,target_group\n")
        lines = []
        for k in range(rows):
            t = rng.randrange(len(emds))
            lines.append(f"V{k:08d},{emds[t]},T{t:05d},H{t:05d}{rng.randrange(500):03d},"
                         f"{rng.choice(days)},{rng.choice(channels)},{rng.choice(groups)}\n")
            if len(lines) == 100_000:
                f.writelines(lines)
                lines = []
        f.writelines(lines)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4_000_000)
