-- 인력현황 (Staffing)
--
-- Stock on D, counted over assignments active on D on teams active on D, by the region of
-- the team's host 읍면동. staff_total: distinct staff_id; staff_public, staff_private:
-- distinct staff_id of assignments of sector 공공 and 민간; public_share = staff_public /
-- staff_total; teams: teams active on D hosted in the row's regions (as in coverage);
-- staff_per_team = staff_total / teams. Rates are null where the denominator is 0.
--
-- Parameters: $as_of (D), $level, $scope, and $start/$end for the rows of the level.
-- Reading: a person is counted once per row however many assignments they hold in its
-- regions; one assigned to teams in two regions counts in each, and once in their parent.
-- A person holding both a 공공 and a 민간 assignment counts in both columns.
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: staff_total P distinct
-- cell: staff_public P distinct
-- cell: staff_private P distinct
-- cell: teams P
-- cell: public_share rate staff_public staff_total
-- cell: staff_per_team rate staff_total teams
-- bound: staff_total <= staff_public + staff_private
WITH staff_counts AS (
    SELECT
        region_code,
        COUNT(DISTINCT staff_id) AS staff_total,
        COUNT(DISTINCT CASE WHEN sector = '공공' THEN staff_id END) AS staff_public,
        COUNT(DISTINCT CASE WHEN sector = '민간' THEN staff_id END) AS staff_private
    FROM assignments_active
    GROUP BY region_code
),
team_counts AS (
    SELECT region_code, region_name, COUNT(*) AS teams
    FROM teams_active
    GROUP BY region_code, region_name
),
row_set AS (
    SELECT region_code, region_name FROM period_rows
    UNION
    SELECT region_code, region_name FROM team_counts
)
SELECT
    r.region_code,
    r.region_name,
    COALESCE(s.staff_total, 0) AS staff_total,
    COALESCE(s.staff_public, 0) AS staff_public,
    COALESCE(s.staff_private, 0) AS staff_private,
    CAST(s.staff_public AS DOUBLE) / NULLIF(s.staff_total, 0) AS public_share,
    COALESCE(t.teams, 0) AS teams,
    CAST(COALESCE(s.staff_total, 0) AS DOUBLE) / NULLIF(t.teams, 0) AS staff_per_team
FROM row_set r
LEFT JOIN staff_counts s ON s.region_code = r.region_code
LEFT JOIN team_counts t ON t.region_code = r.region_code
ORDER BY r.region_code
