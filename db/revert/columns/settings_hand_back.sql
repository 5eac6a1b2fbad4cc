-- Revert tributary:columns/settings_hand_back
BEGIN;
ALTER TABLE tributary.settings DROP COLUMN hand_back_delay, DROP COLUMN hand_back_grace;
COMMIT;
