-- 분기별 추이 (8-quarter trend)
--
-- The 8 quarters ending with the quarter that holds E, one row per quarter and region:
-- quarter (e.g. 2020Q4), coverage_rate, staff_total, visits_total, links_total, each by its
-- definition for that quarter: stocks on the quarter's last day, flows within the quarter.
-- With a month or a range, the last quarter is still the whole quarter that holds E (the
-- catalogue: "each by its definition above for that quarter"), not that quarter cut at E.
--
-- Parameters: $level, $scope, $start and $end (the first day of the first quarter and the
-- last day of the last one, whatever the period asked); `periods` holds the 8 quarters
-- (period = the quarter's name).
-- Reading: each quarter has the rows of the regions valid on at least one day of it, plus
-- regions where something counted that quarter. Sorted by region_code, then quarter.
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: staff_total P distinct
-- cell: coverage_rate rate
-- cell: visits_total S visits_total__h
-- cell: links_total S links_total__h
-- A quarter's visits_total and links_total are the same cells as visits and service_links give
-- for that quarter and region. Their households are counted only when $disclosure is true
-- (hubstat binds it for the disclosure stage): a distinct count over eight quarters.
WITH hosts AS (
    SELECT DISTINCT period, unit AS emd_code FROM teams_on_day
),
coverage AS (
    SELECT e.period, e.region_code, COUNT(*) AS emd_total, COUNT(h.emd_code) AS emd_with_team
    FROM emd_active e
    LEFT JOIN hosts h ON h.period = e.period AND h.emd_code = e.emd_code
    GROUP BY e.period, e.region_code
),
team_regions AS (
    SELECT DISTINCT period, region_code, region_name FROM teams_active
),
staffing AS (
    SELECT period, region_code, region_name, COUNT(DISTINCT staff_id) AS staff_total
    FROM assignments_active
    GROUP BY period, region_code, region_name
),
-- Flows are counted per 읍면동 and quarter first, visits and links in one pass, then those
-- few rows are joined to the quarters and the level's regions. A quarter is keyed by
-- year * 4 + its number, from date_part: over every event row, a third cheaper than
-- date_trunc.
flows AS (
    SELECT emd_code, date_part('year', visited_on) * 4 + date_part('quarter', visited_on) AS quarter_key,
           1 AS visit, 0 AS link
    FROM visits
    WHERE visited_on BETWEEN $start AND $end
    UNION ALL
    SELECT emd_code, date_part('year', linked_on) * 4 + date_part('quarter', linked_on), 0, 1
    FROM service_links
    WHERE linked_on BETWEEN $start AND $end
),
flow_counts AS (
    SELECT p.period, l.region_code, l.region_name,
           SUM(c.visits) AS visits_total, SUM(c.links) AS links_total
    FROM (
        SELECT emd_code, quarter_key, SUM(visit) AS visits, SUM(link) AS links
        FROM flows
        GROUP BY emd_code, quarter_key
    ) c
    JOIN periods p
      ON date_part('year', p.period_start) * 4 + date_part('quarter', p.period_start) = c.quarter_key
    JOIN level_regions l ON l.emd_code = c.emd_code
    GROUP BY p.period, l.region_code, l.region_name
),
households AS (
    -- approx_distinct (HyperLogLog) rather than an exact distinct count, which holds every
    -- household of eight quarters in memory (1.8 GB nationally): only whether a count has
    -- fewer than k (at most 10) households matters, and at that size the estimate is exact
    -- or, when two households share a register, low, so that a cell is withheld rather than
    -- shown. Keyed by the quarter's name and with the regions first, so that the rows of
    -- eight quarters are the probe side of the one join.
    SELECT h.period, l.region_code,
           approx_distinct(CASE WHEN h.visit = 1 THEN h.household_id END) AS visits_total__h,
           approx_distinct(CASE WHEN h.visit = 0 THEN h.household_id END) AS links_total__h
    FROM level_regions l
    JOIN (
        SELECT emd_code, household_id,
               CAST(date_part('year', visited_on) AS BIGINT) || 'Q' || CAST(date_part('quarter', visited_on) AS BIGINT) AS period,
               1 AS visit
        FROM visits WHERE $disclosure AND visited_on BETWEEN $start AND $end
        UNION ALL
        SELECT emd_code, household_id,
               CAST(date_part('year', linked_on) AS BIGINT) || 'Q' || CAST(date_part('quarter', linked_on) AS BIGINT),
               0
        FROM service_links WHERE $disclosure AND linked_on BETWEEN $start AND $end
    ) h ON h.emd_code = l.emd_code
    GROUP BY h.period, l.region_code
),
row_set AS (
    SELECT period, region_code, region_name FROM period_rows
    UNION SELECT period, region_code, region_name FROM team_regions
    UNION SELECT period, region_code, region_name FROM staffing
    UNION SELECT period, region_code, region_name FROM flow_counts
)
SELECT
    r.region_code,
    r.region_name,
    r.period AS quarter,
    CAST(c.emd_with_team AS DOUBLE) / NULLIF(c.emd_total, 0) AS coverage_rate,
    COALESCE(s.staff_total, 0) AS staff_total,
    COALESCE(f.visits_total, 0) AS visits_total,
    COALESCE(f.links_total, 0) AS links_total,
    COALESCE(hh.visits_total__h, 0) AS visits_total__h,
    COALESCE(hh.links_total__h, 0) AS links_total__h
FROM row_set r
LEFT JOIN coverage c ON c.period = r.period AND c.region_code = r.region_code
LEFT JOIN staffing s ON s.period = r.period AND s.region_code = r.region_code
LEFT JOIN flow_counts f ON f.period = r.period AND f.region_code = r.region_code
LEFT JOIN households hh ON hh.period = r.period AND hh.region_code = r.region_code
ORDER BY r.region_code, r.period
