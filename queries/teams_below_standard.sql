-- 인력기준 미달 팀 (Teams below the staffing standard)
--
-- A list, stock on D: one row per team active on D, hosted in scope, that misses the
-- staffing standard (at least 3 people including a 팀장, over its assignments active on D).
-- Keys of its host 읍면동 at emd level (region_code, region_name), then sgg_name, team_id,
-- team_type, staff (distinct staff_id on D) and has_leader; sorted by region_code, team_id.
--
-- Parameters: $as_of (D), $scope. The level is always emd: hubstat binds $level = 'emd'.
-- Reading: sgg_name is the name of the host 읍면동's 시군구 code (its latest name).
--
-- Disclosure (../shared/spec/disclosure.md): the class of each column and the sums it
-- takes part in. A column whose name holds `__` is internal: read by the disclosure stage,
-- it never reaches an output (`<column>__h`: the distinct households behind a column).
-- list: one row per team, all class P, no sums.
SELECT
    t.region_code,
    t.region_name,
    g.region_name AS sgg_name,
    t.team_id,
    t.team_type,
    t.staff,
    t.has_leader
FROM team_staffing t
JOIN region_levels g ON g.level = 'sgg' AND g.emd_code = t.emd_code
WHERE NOT t.meets_standard
ORDER BY t.region_code, t.team_id
