-- Verify tributary:columns/settings_max_map_elements
BEGIN;
SELECT max_map_elements FROM tributary.settings WHERE false;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.settings'::regclass AND conname = 'settings_max_map_elements_bounded';
ROLLBACK;
