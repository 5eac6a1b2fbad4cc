-- Deploy tributary:tables/workflows_limits
-- requires: tables/workflows
--
-- Bounds on the values a caller gives a workflow: a name and an idempotency key of at most 255
-- characters (the key is indexed), and a finite schedule ('infinity' was accepted and never ran).
BEGIN;

ALTER TABLE tributary.workflows
  ADD CONSTRAINT workflows_name_length CHECK (pg_catalog.char_length(name) <= 255),
  ADD CONSTRAINT workflows_idempotency_key_length CHECK (pg_catalog.char_length(idempotency_key) <= 255),
  ADD CONSTRAINT workflows_scheduled_at_finite CHECK (pg_catalog.isfinite(scheduled_at));

COMMIT;
