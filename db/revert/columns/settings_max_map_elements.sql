-- Revert tributary:columns/settings_max_map_elements
BEGIN;
ALTER TABLE tributary.settings DROP COLUMN max_map_elements;
COMMIT;
