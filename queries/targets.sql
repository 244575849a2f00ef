-- 목표 대비 실적 (Targets against actual)
--
-- One row per targets row of the period's year whose region_code matches the level
-- (national: 00, sido: a 2-digit code, sgg: a 5-digit code; emd: none) and starts with the
-- scope: metric, target, actual, achievement_rate = actual / target (null where target is 0).
-- actual: teams = teams active on D hosted in the region (as in coverage); staff =
-- staff_total on D (as in staffing); visits and service_links = counts dated from 1 January
-- of the year to E.
--
-- Parameters: $year (the year of E), $year_start (1 January of it), $end, $as_of, $level,
-- $scope. Needs the optional table targets.
-- Reading: the scope filters target rows by their region_code, as it filters the rows of every
-- figure, so at national level a scope leaves no rows (00 starts with no scope). Rows sorted
-- by region_code, then metric.
-- Geography: a target's 시도 or 시군구 code is followed to its code of the geography day
-- (`geo_codes`), like every region; targets that then share a region and metric are added.
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: target P
-- cell: actual S actual__h
-- actual is class S for visits and service_links (the same cell as visits_total and links_total from
-- 1 January to E) and P for teams and staff, whose actual__h is null.
-- cell: achievement_rate rate actual target
WITH rebased AS (
    SELECT COALESCE(g.geo_code, t.region_code) AS region_code, t.metric, SUM(t.target) AS target
    FROM targets t
    LEFT JOIN geo_codes g ON g.code = t.region_code
    WHERE t.year = $year
    GROUP BY COALESCE(g.geo_code, t.region_code), t.metric
),
wanted AS (
    SELECT region_code, metric, target
    FROM rebased
    WHERE true
      AND starts_with(region_code, $scope)
      AND CASE $level
              WHEN 'national' THEN region_code = '00'
              WHEN 'sido' THEN length(region_code) = 2 AND region_code <> '00'
              WHEN 'sgg' THEN length(region_code) = 5
              ELSE false
          END
),
names AS (
    SELECT DISTINCT region_code, region_name FROM level_regions
),
team_actual AS (
    SELECT region_code, COUNT(*) AS actual FROM teams_active GROUP BY region_code
),
staff_actual AS (
    SELECT region_code, COUNT(DISTINCT staff_id) AS actual FROM assignments_active GROUP BY region_code
),
visit_actual AS (
    SELECT l.region_code, COUNT(*) AS actual, COUNT(DISTINCT v.household_id) AS actual__h
    FROM visits v JOIN level_regions l ON l.emd_code = v.emd_code
    WHERE v.visited_on BETWEEN $year_start AND $end
    GROUP BY l.region_code
),
link_actual AS (
    SELECT l.region_code, COUNT(*) AS actual, COUNT(DISTINCT s.household_id) AS actual__h
    FROM service_links s JOIN level_regions l ON l.emd_code = s.emd_code
    WHERE s.linked_on BETWEEN $year_start AND $end
    GROUP BY l.region_code
),
actuals AS (
    SELECT region_code, 'teams' AS metric, actual, CAST(NULL AS BIGINT) AS actual__h FROM team_actual
    UNION ALL SELECT region_code, 'staff', actual, CAST(NULL AS BIGINT) FROM staff_actual
    UNION ALL SELECT region_code, 'visits', actual, actual__h FROM visit_actual
    UNION ALL SELECT region_code, 'service_links', actual, actual__h FROM link_actual
)
SELECT
    w.region_code,
    COALESCE(n.region_name, CASE WHEN w.region_code = '00' THEN '전국' END) AS region_name,
    w.metric,
    w.target,
    COALESCE(a.actual, 0) AS actual,
    CAST(COALESCE(a.actual, 0) AS DOUBLE) / NULLIF(w.target, 0) AS achievement_rate,
    CASE WHEN w.metric IN ('visits', 'service_links') THEN COALESCE(a.actual__h, 0) END AS actual__h
FROM wanted w
LEFT JOIN names n ON n.region_code = w.region_code
LEFT JOIN actuals a ON a.region_code = w.region_code AND a.metric = w.metric
ORDER BY w.region_code, w.metric
