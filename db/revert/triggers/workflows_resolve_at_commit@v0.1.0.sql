-- Revert tributary:triggers/workflows_resolve_at_commit
BEGIN;
DROP TRIGGER _100_resolve_at_commit ON tributary.workflows;
DROP FUNCTION tributary.tg_workflows__resolve_at_commit();
DROP TRIGGER _050_reset_direct_insert ON tributary.workflows;
DROP FUNCTION tributary.tg_workflows__reset_direct_insert();
COMMIT;
