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
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: cases_open S cases_open__h
-- cell: cases_opened S cases_opened__h
-- cell: cases_closed S cases_closed__h
-- cell: referrals S referrals__h
-- cell: case_meetings S case_meetings__h
-- cell: solution_meetings S solution_meetings__h
-- cell: followups S followups__h
-- The households of a meeting are its case's.
WITH case_rows AS (
    SELECT l.region_code, l.region_name, c.household_id, c.opened_on, c.closed_on, c.referred_on
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
        SUM(CASE WHEN referred_on BETWEEN $start AND $end THEN 1 ELSE 0 END) AS referrals,
        COUNT(DISTINCT CASE WHEN opened_on <= $as_of AND (closed_on IS NULL OR $as_of < closed_on) THEN household_id END) AS cases_open__h,
        COUNT(DISTINCT CASE WHEN opened_on BETWEEN $start AND $end THEN household_id END) AS cases_opened__h,
        COUNT(DISTINCT CASE WHEN closed_on BETWEEN $start AND $end THEN household_id END) AS cases_closed__h,
        COUNT(DISTINCT CASE WHEN referred_on BETWEEN $start AND $end THEN household_id END) AS referrals__h
    FROM case_rows
    GROUP BY region_code, region_name
),
meeting_counts AS (
    SELECT
        l.region_code,
        l.region_name,
        SUM(CASE WHEN m.kind = '사례회의' THEN 1 ELSE 0 END) AS case_meetings,
        SUM(CASE WHEN m.kind = '솔루션회의' THEN 1 ELSE 0 END) AS solution_meetings,
        SUM(CASE WHEN m.kind = '사후관리' THEN 1 ELSE 0 END) AS followups,
        COUNT(DISTINCT CASE WHEN m.kind = '사례회의' THEN c.household_id END) AS case_meetings__h,
        COUNT(DISTINCT CASE WHEN m.kind = '솔루션회의' THEN c.household_id END) AS solution_meetings__h,
        COUNT(DISTINCT CASE WHEN m.kind = '사후관리' THEN c.household_id END) AS followups__h
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
    COALESCE(m.followups, 0) AS followups,
    COALESCE(c.cases_open__h, 0) AS cases_open__h,
    COALESCE(c.cases_opened__h, 0) AS cases_opened__h,
    COALESCE(c.cases_closed__h, 0) AS cases_closed__h,
    COALESCE(c.referrals__h, 0) AS referrals__h,
    COALESCE(m.case_meetings__h, 0) AS case_meetings__h,
    COALESCE(m.solution_meetings__h, 0) AS solution_meetings__h,
    COALESCE(m.followups__h, 0) AS followups__h
FROM row_set r
LEFT JOIN case_counts c ON c.region_code = r.region_code
LEFT JOIN meeting_counts m ON m.region_code = r.region_code
ORDER BY r.region_code
