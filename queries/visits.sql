-- 찾아가는 상담 (Outreach consultations)
--
-- Flow: visits with S <= visited_on <= E, by the region of the visit's own emd_code.
-- visits_total; visits_home (channel 방문), visits_phone (전화), visits_office (내방),
-- visits_other (기타); households: distinct household_id.
--
-- Parameters: $start, $end, $level, $scope.
-- Reading: a visit under an 읍면동 abolished before the period counts in its 시군구, 시도 and
-- the nation, and at emd level gives its 읍면동 a row of its own.
WITH counts AS (
    SELECT
        l.region_code,
        l.region_name,
        COUNT(*) AS visits_total,
        SUM(CASE WHEN v.channel = '방문' THEN 1 ELSE 0 END) AS visits_home,
        SUM(CASE WHEN v.channel = '전화' THEN 1 ELSE 0 END) AS visits_phone,
        SUM(CASE WHEN v.channel = '내방' THEN 1 ELSE 0 END) AS visits_office,
        SUM(CASE WHEN v.channel = '기타' THEN 1 ELSE 0 END) AS visits_other,
        COUNT(DISTINCT v.household_id) AS households
    FROM visits v
    JOIN level_regions l ON l.emd_code = v.emd_code
    WHERE v.visited_on BETWEEN $start AND $end
    GROUP BY l.region_code, l.region_name
),
row_set AS (
    SELECT region_code, region_name FROM period_rows
    UNION
    SELECT region_code, region_name FROM counts
)
SELECT
    r.region_code,
    r.region_name,
    COALESCE(c.visits_total, 0) AS visits_total,
    COALESCE(c.visits_home, 0) AS visits_home,
    COALESCE(c.visits_phone, 0) AS visits_phone,
    COALESCE(c.visits_office, 0) AS visits_office,
    COALESCE(c.visits_other, 0) AS visits_other,
    COALESCE(c.households, 0) AS households
FROM row_set r
LEFT JOIN counts c ON c.region_code = r.region_code
ORDER BY r.region_code
