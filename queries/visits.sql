-- 찾아가는 상담 (Outreach consultations)
--
-- Flow: visits with S <= visited_on <= E, by the region of the visit's own emd_code.
-- visits_total; visits_home (channel 방문), visits_phone (전화), visits_office (내방),
-- visits_other (기타); households: distinct household_id.
--
-- Parameters: $start, $end, $level, $scope.
-- Reading: a visit under an 읍면동 abolished before the period counts in its 시군구, 시도 and
-- the nation, and at emd level gives its 읍면동 a row of its own.
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: visits_total S households
-- cell: visits_home S visits_home__h
-- cell: visits_phone S visits_phone__h
-- cell: visits_office S visits_office__h
-- cell: visits_other S visits_other__h
-- cell: households S self distinct
-- sum: visits_total = visits_home + visits_phone + visits_office + visits_other
-- bound: households <= visits_total
WITH counts AS (
    SELECT
        l.region_code,
        l.region_name,
        COUNT(*) AS visits_total,
        SUM(CASE WHEN v.channel = '방문' THEN 1 ELSE 0 END) AS visits_home,
        SUM(CASE WHEN v.channel = '전화' THEN 1 ELSE 0 END) AS visits_phone,
        SUM(CASE WHEN v.channel = '내방' THEN 1 ELSE 0 END) AS visits_office,
        SUM(CASE WHEN v.channel = '기타' THEN 1 ELSE 0 END) AS visits_other,
        COUNT(DISTINCT v.household_id) AS households,
        COUNT(DISTINCT CASE WHEN v.channel = '방문' THEN v.household_id END) AS visits_home__h,
        COUNT(DISTINCT CASE WHEN v.channel = '전화' THEN v.household_id END) AS visits_phone__h,
        COUNT(DISTINCT CASE WHEN v.channel = '내방' THEN v.household_id END) AS visits_office__h,
        COUNT(DISTINCT CASE WHEN v.channel = '기타' THEN v.household_id END) AS visits_other__h
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
    COALESCE(c.households, 0) AS households,
    COALESCE(c.visits_home__h, 0) AS visits_home__h,
    COALESCE(c.visits_phone__h, 0) AS visits_phone__h,
    COALESCE(c.visits_office__h, 0) AS visits_office__h,
    COALESCE(c.visits_other__h, 0) AS visits_other__h
FROM row_set r
LEFT JOIN counts c ON c.region_code = r.region_code
ORDER BY r.region_code
