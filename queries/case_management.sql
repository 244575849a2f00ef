-- 통합사례관리 (Integrated case management)
--
-- Both stock and flow, by the region of the case's emd_code (a meeting: of its case).
-- cases_open: cases active on D (opened_on <= D and (closed_on is null or D < closed_on));
-- cases_opened, cases_closed, referrals: cases with opened_on, closed_on, referred_on in
-- S..E; case_meetings, solution_meetings, followups: case_meetings held in S..E of kind
-- 사례회의, 솔루션회의, 사후관리.
--
-- Parameters: $start, $end, $as_of, $level, $scope.
-- Needs the optional tables cases and case_meetings.
-- Reading: a case of an 읍면동 abolished before the period gives that 읍면동 a row at emd
-- level only when it counts in one of the columns.
WITH case_rows AS (
    SELECT l.region_code, l.region_name, c.opened_on, c.closed_on, c.referred_on
    FROM cases c
    JOIN level_regions l ON l.emd_code = c.emd_code
),
case_counts AS (
    SELECT
        region_code,
        region_name,
        SUM(CASE WHEN opened_on <= $as_of AND (closed_on IS NULL OR $as_of < closed_on) THEN 1 ELSE 0 END) AS cases_open,
        SUM(CASE WHEN opened_on BETWEEN $start AND $end THEN 1 ELSE 0 END) AS cases_opened,
        SUM(CASE WHEN closed_on BETWEEN $start AND $end THEN 1 ELSE 0 END) AS cases_closed,
        SUM(CASE WHEN referred_on BETWEEN $start AND $end THEN 1 ELSE 0 END) AS referrals
    FROM case_rows
    GROUP BY region_code, region_name
),
meeting_counts AS (
    SELECT
        l.region_code,
        l.region_name,
        SUM(CASE WHEN m.kind = '사례회의' THEN 1 ELSE 0 END) AS case_meetings,
        SUM(CASE WHEN m.kind = '솔루션회의' THEN 1 ELSE 0 END) AS solution_meetings,
        SUM(CASE WHEN m.kind = '사후관리' THEN 1 ELSE 0 END) AS followups
    FROM case_meetings m
    JOIN cases c ON c.case_id = m.case_id
    JOIN level_regions l ON l.emd_code = c.emd_code
    WHERE m.held_on BETWEEN $start AND $end
    GROUP BY l.region_code, l.region_name
),
row_set AS (
    SELECT region_code, region_name FROM period_rows
    UNION
    SELECT region_code, region_name FROM case_counts
    WHERE cases_open + cases_opened + cases_closed + referrals > 0
    UNION
    SELECT region_code, region_name FROM meeting_counts
)
SELECT
    r.region_code,
    r.region_name,
    COALESCE(c.cases_open, 0) AS cases_open,
    COALESCE(c.cases_opened, 0) AS cases_opened,
    COALESCE(c.cases_closed, 0) AS cases_closed,
    COALESCE(c.referrals, 0) AS referrals,
    COALESCE(m.case_meetings, 0) AS case_meetings,
    COALESCE(m.solution_meetings, 0) AS solution_meetings,
    COALESCE(m.followups, 0) AS followups
FROM row_set r
LEFT JOIN case_counts c ON c.region_code = r.region_code
LEFT JOIN meeting_counts m ON m.region_code = r.region_code
ORDER BY r.region_code
