-- 인력기준 충족 (Teams meeting the staffing standard)
--
-- Stock on D. The staffing standard for a team is at least 3 people including a 팀장,
-- counted over its assignments active on D. Over teams active on D hosted in the row's
-- regions: teams; teams_meeting_standard; standard_rate = teams_meeting_standard / teams,
-- null where teams is 0.
--
-- Parameters: $as_of (D), $level, $scope, and $start/$end for the rows of the level.
-- Reading: "3 people" are 3 distinct staff_id on the team on D, one of whom holds an
-- assignment with role 팀장 on D.
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: teams P
-- cell: teams_meeting_standard P
-- cell: standard_rate rate teams_meeting_standard teams
WITH counts AS (
    SELECT
        region_code,
        region_name,
        COUNT(*) AS teams,
        SUM(CASE WHEN meets_standard THEN 1 ELSE 0 END) AS teams_meeting_standard
    FROM team_staffing
    GROUP BY region_code, region_name
),
row_set AS (
    SELECT region_code, region_name FROM period_rows
    UNION
    SELECT region_code, region_name FROM counts
)
SELECT
    r.region_code,
    r.region_name,
    COALESCE(c.teams, 0) AS teams,
    COALESCE(c.teams_meeting_standard, 0) AS teams_meeting_standard,
    CAST(c.teams_meeting_standard AS DOUBLE) / NULLIF(c.teams, 0) AS standard_rate
FROM row_set r
LEFT JOIN counts c ON c.region_code = r.region_code
ORDER BY r.region_code
