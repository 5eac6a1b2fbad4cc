-- Revert tributary:triggers/step_dependencies_guard_writes
BEGIN;
DROP TRIGGER _010_guard_writes ON tributary.step_dependencies;
COMMIT;
