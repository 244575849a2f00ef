-- 설치현황 (Team coverage)
--
-- Stock on D, the period's last day. emd_total: 읍면동 valid on D; emd_with_team: of those,
-- the ones hosting a team active on D; coverage_rate = emd_with_team / emd_total;
-- teams: teams active on D hosted in the row's regions; emd_served: 읍면동 valid on D that
-- host a team active on D or are served by one through team_areas; served_rate =
-- emd_served / emd_total. Rates are null where emd_total is 0.
--
-- Parameters: $as_of (D), $level, $scope, and $start/$end for the rows of the level.
-- Reading: a region whose 읍면동 were all abolished before the period gets a row when a
-- team active on D is still hosted there (counted in `teams`, nowhere else). A team hosted
-- outside the scope that serves an 읍면동 inside it makes that 읍면동 served.
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: emd_total P
-- cell: emd_with_team P
-- cell: teams P
-- cell: emd_served P
-- cell: coverage_rate rate emd_with_team emd_total
-- cell: served_rate rate emd_served emd_total
WITH hosts AS (
    SELECT DISTINCT period, unit AS emd_code FROM teams_on_day
),
emd AS (
    SELECT e.region_code, COUNT(*) AS emd_total, COUNT(h.emd_code) AS emd_with_team
    FROM emd_active e
    LEFT JOIN hosts h ON h.period = e.period AND h.emd_code = e.emd_code
    GROUP BY e.region_code
),
team_counts AS (
    SELECT region_code, region_name, COUNT(*) AS teams
    FROM teams_active
    GROUP BY region_code, region_name
),
served AS (
    SELECT region_code, COUNT(*) AS emd_served
    FROM served_active
    GROUP BY region_code
),
row_set AS (
    SELECT region_code, region_name FROM period_rows
    UNION
    SELECT region_code, region_name FROM team_counts
)
SELECT
    r.region_code,
    r.region_name,
    COALESCE(emd.emd_total, 0) AS emd_total,
    COALESCE(emd.emd_with_team, 0) AS emd_with_team,
    CAST(emd.emd_with_team AS DOUBLE) / NULLIF(emd.emd_total, 0) AS coverage_rate,
    COALESCE(t.teams, 0) AS teams,
    COALESCE(s.emd_served, 0) AS emd_served,
    CAST(COALESCE(s.emd_served, 0) AS DOUBLE) / NULLIF(emd.emd_total, 0) AS served_rate
FROM row_set r
LEFT JOIN emd ON emd.region_code = r.region_code
LEFT JOIN team_counts t ON t.region_code = r.region_code
LEFT JOIN served s ON s.region_code = r.region_code
ORDER BY r.region_code
