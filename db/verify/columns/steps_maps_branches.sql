-- Verify tributary:columns/steps_maps_branches
BEGIN;
SELECT map_over, map_path, map_size, map_step_id, map_index, run_if, run_when FROM tributary.steps WHERE false;
SELECT 1 / (pg_catalog.count(*) = 6)::integer FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.steps'::regclass
  AND conname IN ('steps_run_when_valid', 'steps_run_if_is_object', 'steps_map_over_is_dependency',
                  'steps_map_path_needs_map_over', 'steps_map_size_needs_map_over', 'steps_map_element_has_index');
ROLLBACK;
