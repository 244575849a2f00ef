-- 복지사각지대 발굴 (Households found outside the safety net)
--
-- Flow: discoveries with S <= found_on <= E, by the region of their own emd_code.
-- found_total; found_bigdata (source 빅데이터), found_network (인적안전망), found_visit
-- (방문상담), found_request (신청), found_other (기타); supported: outcome 공공지원 or
-- 민간지원; support_rate = supported / found_total, null where found_total is 0.
--
-- Parameters: $start, $end, $level, $scope.
-- Needs the optional table discoveries.
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- cell: found_total S found_total__h
-- cell: found_bigdata S found_bigdata__h
-- cell: found_network S found_network__h
-- cell: found_visit S found_visit__h
-- cell: found_request S found_request__h
-- cell: found_other S found_other__h
-- cell: supported S supported__h
-- cell: not_supported__v S not_supported__vh
-- cell: support_rate rate supported found_total
-- sum: found_total = found_bigdata + found_network + found_visit + found_request + found_other
-- sum: found_total = supported + not_supported__v
-- not_supported__v (found_total - supported, the households not supported) is printed nowhere:
-- it is there so that the complement is protected like a printed cell.
WITH counts AS (
    SELECT
        l.region_code,
        l.region_name,
        COUNT(*) AS found_total,
        SUM(CASE WHEN d.source = '빅데이터' THEN 1 ELSE 0 END) AS found_bigdata,
        SUM(CASE WHEN d.source = '인적안전망' THEN 1 ELSE 0 END) AS found_network,
        SUM(CASE WHEN d.source = '방문상담' THEN 1 ELSE 0 END) AS found_visit,
        SUM(CASE WHEN d.source = '신청' THEN 1 ELSE 0 END) AS found_request,
        SUM(CASE WHEN d.source = '기타' THEN 1 ELSE 0 END) AS found_other,
        SUM(CASE WHEN d.outcome IN ('공공지원', '민간지원') THEN 1 ELSE 0 END) AS supported,
        SUM(CASE WHEN d.outcome IN ('공공지원', '민간지원') THEN 0 ELSE 1 END) AS not_supported__v,
        COUNT(DISTINCT d.household_id) AS found_total__h,
        COUNT(DISTINCT CASE WHEN d.source = '빅데이터' THEN d.household_id END) AS found_bigdata__h,
        COUNT(DISTINCT CASE WHEN d.source = '인적안전망' THEN d.household_id END) AS found_network__h,
        COUNT(DISTINCT CASE WHEN d.source = '방문상담' THEN d.household_id END) AS found_visit__h,
        COUNT(DISTINCT CASE WHEN d.source = '신청' THEN d.household_id END) AS found_request__h,
        COUNT(DISTINCT CASE WHEN d.source = '기타' THEN d.household_id END) AS found_other__h,
        COUNT(DISTINCT CASE WHEN d.outcome IN ('공공지원', '민간지원') THEN d.household_id END) AS supported__h,
        COUNT(DISTINCT CASE WHEN d.outcome IN ('공공지원', '민간지원') THEN NULL ELSE d.household_id END) AS not_supported__vh
    FROM discoveries d
    JOIN level_regions l ON l.emd_code = d.emd_code
    WHERE d.found_on BETWEEN $start AND $end
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
    COALESCE(c.found_total, 0) AS found_total,
    COALESCE(c.found_bigdata, 0) AS found_bigdata,
    COALESCE(c.found_network, 0) AS found_network,
    COALESCE(c.found_visit, 0) AS found_visit,
    COALESCE(c.found_request, 0) AS found_request,
    COALESCE(c.found_other, 0) AS found_other,
    COALESCE(c.supported, 0) AS supported,
    CAST(c.supported AS DOUBLE) / NULLIF(c.found_total, 0) AS support_rate,
    COALESCE(c.not_supported__v, 0) AS not_supported__v,
    COALESCE(c.found_total__h, 0) AS found_total__h,
    COALESCE(c.found_bigdata__h, 0) AS found_bigdata__h,
    COALESCE(c.found_network__h, 0) AS found_network__h,
    COALESCE(c.found_visit__h, 0) AS found_visit__h,
    COALESCE(c.found_request__h, 0) AS found_request__h,
    COALESCE(c.found_other__h, 0) AS found_other__h,
    COALESCE(c.supported__h, 0) AS supported__h,
    COALESCE(c.not_supported__vh, 0) AS not_supported__vh
FROM row_set r
LEFT JOIN counts c ON c.region_code = r.region_code
ORDER BY r.region_code
