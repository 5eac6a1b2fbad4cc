-- Revert tributary:triggers/workflows_guard_writes
BEGIN;
DROP TRIGGER _010_guard_writes ON tributary.workflows;
DROP FUNCTION tributary.tg_refuse_direct_write();
COMMIT;
