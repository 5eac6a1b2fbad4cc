-- Verify tributary:columns/steps_maps_branches
BEGIN;
SELECT map_over, map_path, map_size, map_step_id, map_index, run_if, run_when FROM tributary.steps WHERE false;
WITH step_rules (name, definition) AS (  -- a CHECK constraint, or a rule of tributary._step_rules (tables/steps_rules)
  SELECT c.conname::text, pg_catalog.pg_get_constraintdef(c.oid) FROM pg_catalog.pg_constraint AS c
  WHERE c.conrelid = 'tributary.steps'::regclass AND c.contype = 'c' AND c.convalidated
  UNION ALL
  SELECT m[2], m[1] FROM pg_catalog.pg_proc AS p,
    pg_catalog.regexp_matches(p.prosrc, 'WHEN NOT (.*?)\s+THEN ''(steps_[a-z_]+)''', 'g') AS m
  WHERE p.oid = pg_catalog.to_regproc('tributary._step_rules')
)
SELECT 1 / (pg_catalog.count(*) = 6)::integer FROM step_rules
WHERE name IN ('steps_run_when_valid', 'steps_run_if_is_object', 'steps_map_over_is_dependency',
                  'steps_map_path_needs_map_over', 'steps_map_size_needs_map_over', 'steps_map_element_has_index');
ROLLBACK;
