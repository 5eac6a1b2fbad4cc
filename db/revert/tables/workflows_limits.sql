-- Revert tributary:tables/workflows_limits
BEGIN;

ALTER TABLE tributary.workflows
  DROP CONSTRAINT workflows_name_length,
  DROP CONSTRAINT workflows_idempotency_key_length,
  DROP CONSTRAINT workflows_scheduled_at_finite;

COMMIT;
