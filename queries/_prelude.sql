-- 공통 뷰 (Shared views of every figure)
--
-- Every figure is written over these views, so that the region key of a level, "active on
-- D" and the rows of zeros are defined once. hubstat creates them for each run, binding:
--   $level   'national', 'sido', 'sgg' or 'emd'
--   $scope   a region code prefix (2, 5 or 10 digits); '' keeps every region
--   $start, $end   S and E, the first and last day of the period (inclusive)
--   $as_of   D = E, the day stock figures are taken on
-- and the table `periods` (period, period_start, period_end): the period of the run, or the
-- 8 quarters of a trend. Stock views carry a `period` column and are taken on period_end.
--
-- Readings of the specification:
-- - The scope keeps the regions of the level whose code starts with it, and so counts only
--   what belongs to the 읍면동 under them. At a level above the scope's own (national with
--   any scope, 시도 with a 시군구 code) no region's code starts with it: no rows. A region's
--   total is asked at its own level (--level sido --region 28 gives the row of 인천).
-- - The name of a 시도 or 시군구 code is the one on its latest row (latest valid_from, then
--   highest emd_code): names can differ between rows of one code.
-- - A dated thing is active on D when start <= D and (end is null or D < end); a region
--   with a null valid_from has been valid since always.

-- view: region_levels
-- Every 읍면동 code, whatever its dates, with its region key at each level.
SELECT 'national' AS level, emd_code, '00' AS region_code, '전국' AS region_name, valid_from, valid_to
FROM regions
UNION ALL
SELECT 'sido', r.emd_code, r.sido_code, n.sido_name, r.valid_from, r.valid_to
FROM regions r
JOIN (
    SELECT sido_code, first_value(sido_name ORDER BY valid_from DESC NULLS LAST, emd_code DESC) AS sido_name
    FROM regions GROUP BY sido_code
) n ON n.sido_code = r.sido_code
UNION ALL
SELECT 'sgg', r.emd_code, r.sgg_code, n.sgg_name, r.valid_from, r.valid_to
FROM regions r
JOIN (
    SELECT sgg_code, first_value(sgg_name ORDER BY valid_from DESC NULLS LAST, emd_code DESC) AS sgg_name
    FROM regions GROUP BY sgg_code
) n ON n.sgg_code = r.sgg_code
UNION ALL
SELECT 'emd', emd_code, emd_code AS region_code, emd_name AS region_name, valid_from, valid_to
FROM regions;

-- view: level_regions
-- The 읍면동 codes in scope, whatever their dates, with their region at the requested level;
-- both the 읍면동 and its region start with the scope.
-- Events and teams are mapped to rows through this view, so that an 읍면동 abolished before
-- the period still counts in its 시군구, 시도 and the nation.
SELECT emd_code, region_code, region_name, valid_from, valid_to
FROM region_levels
WHERE level = $level AND starts_with(emd_code, $scope) AND starts_with(region_code, $scope);

-- view: period_rows
-- The rows of zeros: every region of the level valid on at least one day of the period.
SELECT DISTINCT p.period, l.region_code, l.region_name
FROM periods p
JOIN level_regions l
  ON (l.valid_from IS NULL OR l.valid_from <= p.period_end)
 AND (l.valid_to IS NULL OR p.period_start < l.valid_to);

-- view: emd_active
-- 읍면동 in scope valid on D.
SELECT p.period, l.emd_code, l.region_code
FROM periods p
JOIN level_regions l
  ON (l.valid_from IS NULL OR l.valid_from <= p.period_end)
 AND (l.valid_to IS NULL OR p.period_end < l.valid_to);

-- view: teams_on_day
-- Every team active on D, wherever it is hosted.
SELECT p.period, p.period_end AS as_of, t.team_id, t.team_type, t.emd_code
FROM periods p
JOIN teams t
  ON t.established_on <= p.period_end
 AND (t.closed_on IS NULL OR p.period_end < t.closed_on);

-- view: teams_active
-- Teams active on D hosted in scope, with the region of their host 읍면동.
SELECT d.period, d.as_of, d.team_id, d.team_type, d.emd_code, l.region_code, l.region_name
FROM teams_on_day d
JOIN level_regions l ON l.emd_code = d.emd_code;

-- view: assignments_active
-- Assignments active on D on teams active on D hosted in scope.
SELECT t.period, t.team_id, t.region_code, t.region_name, s.staff_id, s.sector, s.role
FROM teams_active t
JOIN staff s
  ON s.team_id = t.team_id
 AND s.assigned_on <= t.as_of
 AND (s.left_on IS NULL OR t.as_of < s.left_on);

-- view: served_active
-- 읍면동 in scope valid on D that host a team active on D or are served by one (team_areas).
SELECT DISTINCT e.period, e.emd_code, e.region_code
FROM emd_active e
JOIN (
    SELECT period, emd_code FROM teams_on_day
    UNION ALL
    SELECT d.period, a.emd_code FROM teams_on_day d JOIN team_areas a ON a.team_id = d.team_id
) s ON s.period = e.period AND s.emd_code = e.emd_code;

-- view: team_staffing
-- Each team active on D hosted in scope with its people on D: distinct staff and whether
-- one of them is a 팀장. The staffing standard is at least 3 people including a 팀장.
SELECT t.period, t.team_id, t.team_type, t.emd_code, t.region_code, t.region_name,
       COUNT(DISTINCT a.staff_id) AS staff,
       COALESCE(bool_or(a.role = '팀장'), false) AS has_leader,
       COUNT(DISTINCT a.staff_id) >= 3 AND COALESCE(bool_or(a.role = '팀장'), false) AS meets_standard
FROM teams_active t
LEFT JOIN assignments_active a ON a.period = t.period AND a.team_id = t.team_id
GROUP BY t.period, t.team_id, t.team_type, t.emd_code, t.region_code, t.region_name;
