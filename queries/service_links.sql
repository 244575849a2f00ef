-- 민관 서비스 연계 (Services linked)
--
-- Flow: service_links with S <= linked_on <= E, by the region of the link's own emd_code.
-- links_total; links_public (sector 공공), links_private (민간); households: distinct
-- household_id.
--
-- Parameters: $start, $end, $level, $scope.
-- Reading: as in visits, links under an 읍면동 abolished before the period still count.
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: links_total S households
-- cell: links_public S links_public__h
-- cell: links_private S links_private__h
-- cell: households S self distinct
-- sum: links_total = links_public + links_private
-- bound: households <= links_total
WITH counts AS (
    SELECT
        l.region_code,
        l.region_name,
        COUNT(*) AS links_total,
        SUM(CASE WHEN s.sector = '공공' THEN 1 ELSE 0 END) AS links_public,
        SUM(CASE WHEN s.sector = '민간' THEN 1 ELSE 0 END) AS links_private,
        COUNT(DISTINCT s.household_id) AS households,
        COUNT(DISTINCT CASE WHEN s.sector = '공공' THEN s.household_id END) AS links_public__h,
        COUNT(DISTINCT CASE WHEN s.sector = '민간' THEN s.household_id END) AS links_private__h
    FROM service_links s
    JOIN level_regions l ON l.emd_code = s.emd_code
    WHERE s.linked_on BETWEEN $start AND $end
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
    COALESCE(c.links_total, 0) AS links_total,
    COALESCE(c.links_public, 0) AS links_public,
    COALESCE(c.links_private, 0) AS links_private,
    COALESCE(c.households, 0) AS households,
    COALESCE(c.links_public__h, 0) AS links_public__h,
    COALESCE(c.links_private__h, 0) AS links_private__h
FROM row_set r
LEFT JOIN counts c ON c.region_code = r.region_code
ORDER BY r.region_code
