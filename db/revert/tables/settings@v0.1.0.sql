-- Revert tributary:tables/settings
BEGIN;
DROP TABLE tributary.settings;
COMMIT;
