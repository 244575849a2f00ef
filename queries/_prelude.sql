-- 공통 뷰 (Shared views of every figure)
--
-- Every figure is written over these views, so that the region key of a level, "active on
-- D" and the rows of zeros are defined once. hubstat creates them for each run, binding:
--   $level   'national', 'sido', 'sgg' or 'emd'
--   $scope   a region code prefix (2, 5 or 10 digits); '' keeps every region
--   $start, $end   S and E, the first and last day of the period (inclusive)
--   $as_of   D = E, the day stock figures are taken on
--   $geography_day   the day whose regions figures are keyed by; null: as recorded
-- and the table `periods` (period, period_start, period_end): the period of the run, or the
-- 8 quarters of a trend. Stock views carry a `period` column and are taken on period_end.
-- The table `geo_units` (emd_code, unit, sgg_code, sido_code) gives, for every recorded
-- 읍면동 code, the 읍면동 it counts as and its 시군구 and 시도 in the geography: as recorded,
-- each code is itself; on a geography day, each code is followed through its successors to
-- the code in force that day (or back to its one predecessor), and a code without one keeps
-- its own 읍면동 and counts in the successors of its 시군구 and 시도 (figures.md, Geography
-- over time).
--
-- Readings of the specification:
-- - The scope keeps the regions of the level whose code starts with it, and so counts only
--   what belongs to the 읍면동 under them. At a level above the scope's own (national with
--   any scope, 시도 with a 시군구 code) no region's code starts with it: no rows. A region's
--   total is asked at its own level (--level sido --region 28 gives the row of 인천).
-- - The name of a 시도 or 시군구 code is the one on its latest row in force on the geography
--   day, else on its latest row (latest valid_from, then highest emd_code): names can differ
--   between rows of one code. An 읍면동's name is that of the code it counts as (its own
--   when the regions lack that code: an older export keyed by a newer one's geography).
-- - A dated thing is active on D when start <= D and (end is null or D < end); a region
--   with a null valid_from has been valid since always.

-- view: region_levels
-- Every 읍면동 code as recorded, whatever its dates, with the 읍면동 it counts as in the
-- geography (`unit`, its code of the geography day, or itself) and that one's region key at
-- each level; valid_from and valid_to stay those of the recorded code.
WITH geo AS (
    SELECT r.emd_code, r.emd_name, g.unit, g.sgg_code, g.sido_code, r.valid_from, r.valid_to
    FROM regions r
    JOIN geo_units g ON g.emd_code = r.emd_code
),
ranked AS (
    SELECT emd_code, emd_name, sgg_code, sgg_name, sido_code, sido_name,
           CASE WHEN $geography_day IS NOT NULL
                     AND (valid_from IS NULL OR valid_from <= $geography_day)
                     AND (valid_to IS NULL OR $geography_day < valid_to)
                THEN 1 ELSE 0 END AS in_force,
           valid_from
    FROM regions
),
sido_names AS (
    SELECT sido_code,
           first_value(sido_name ORDER BY in_force DESC, valid_from DESC NULLS LAST, emd_code DESC) AS sido_name
    FROM ranked GROUP BY sido_code
),
sgg_names AS (
    SELECT sgg_code,
           first_value(sgg_name ORDER BY in_force DESC, valid_from DESC NULLS LAST, emd_code DESC) AS sgg_name
    FROM ranked GROUP BY sgg_code
)
SELECT 'national' AS level, emd_code, unit, sgg_code AS unit_sgg, '00' AS region_code, '전국' AS region_name, valid_from, valid_to
FROM geo
UNION ALL
SELECT 'sido', g.emd_code, g.unit, g.sgg_code, g.sido_code, COALESCE(n.sido_name, g.sido_code), g.valid_from, g.valid_to
FROM geo g LEFT JOIN sido_names n ON n.sido_code = g.sido_code
UNION ALL
SELECT 'sgg', g.emd_code, g.unit, g.sgg_code AS unit_sgg, g.sgg_code AS region_code, COALESCE(n.sgg_name, g.sgg_code), g.valid_from, g.valid_to
FROM geo g LEFT JOIN sgg_names n ON n.sgg_code = g.sgg_code
UNION ALL
SELECT 'emd', g.emd_code, g.unit, g.sgg_code, g.unit AS region_code, COALESCE(u.emd_name, g.emd_name), g.valid_from, g.valid_to
FROM geo g LEFT JOIN regions u ON u.emd_code = g.unit;

-- view: level_regions
-- The recorded 읍면동 codes in scope, whatever their dates, with the 읍면동 they count as and
-- their region at the requested level. In scope: the 읍면동 it counts as (or that one's
-- 시군구 in the geography) and its region start with the scope; at emd level the region is
-- that 읍면동, which keeps its own code when it has no successor.
-- Events and teams are mapped to rows through this view, so that an 읍면동 abolished before
-- the period still counts in its 시군구, 시도 and the nation.
SELECT emd_code, unit, region_code, region_name, valid_from, valid_to
FROM region_levels
WHERE level = $level
  AND (starts_with(unit, $scope) OR starts_with(unit_sgg, $scope))
  AND (level = 'emd' OR starts_with(region_code, $scope));

-- view: emd_units
-- Every recorded 읍면동 code with the 읍면동 it counts as in the geography.
SELECT emd_code, unit FROM geo_units;

-- view: period_rows
-- The rows of zeros: every region of the level valid on at least one day of the period.
SELECT DISTINCT p.period, l.region_code, l.region_name
FROM periods p
JOIN level_regions l
  ON (l.valid_from IS NULL OR l.valid_from <= p.period_end)
 AND (l.valid_to IS NULL OR p.period_start < l.valid_to);

-- view: emd_active
-- 읍면동 in scope valid on D, each once under the code it counts as (`emd_code` is the
-- unit): valid when any recorded code that counts as it was.
SELECT DISTINCT p.period, l.unit AS emd_code, l.region_code
FROM periods p
JOIN level_regions l
  ON (l.valid_from IS NULL OR l.valid_from <= p.period_end)
 AND (l.valid_to IS NULL OR p.period_end < l.valid_to);

-- view: teams_on_day
-- Every team active on D, wherever it is hosted: `emd_code` as recorded, `unit` the 읍면동
-- it counts as in the geography.
SELECT p.period, p.period_end AS as_of, t.team_id, t.team_type, t.emd_code,
       COALESCE(u.unit, t.emd_code) AS unit
FROM periods p
JOIN teams t
  ON t.established_on <= p.period_end
 AND (t.closed_on IS NULL OR p.period_end < t.closed_on)
LEFT JOIN emd_units u ON u.emd_code = t.emd_code;

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
    SELECT period, unit FROM teams_on_day
    UNION ALL
    SELECT d.period, COALESCE(u.unit, a.emd_code)
    FROM teams_on_day d
    JOIN team_areas a ON a.team_id = d.team_id
    LEFT JOIN emd_units u ON u.emd_code = a.emd_code
) s ON s.period = e.period AND s.unit = e.emd_code;

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
