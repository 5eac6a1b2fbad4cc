-- Revert tributary:columns/steps_maps_branches
BEGIN;
ALTER TABLE tributary.steps
  DROP COLUMN map_over, DROP COLUMN map_path, DROP COLUMN map_size, DROP COLUMN map_step_id,
  DROP COLUMN map_index, DROP COLUMN run_if, DROP COLUMN run_when;
COMMIT;
