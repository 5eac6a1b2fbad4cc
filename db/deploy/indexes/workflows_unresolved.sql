-- Deploy tributary:indexes/workflows_unresolved
-- requires: tables/workflows
--
-- The workflows inserted directly and not yet resolved (steps_total NULL). Only the inserting
-- transaction sees them, and only until its COMMIT resolves them, so the index holds a handful
-- of live entries: the COMMIT-time trigger reads it to resolve every such workflow of the
-- transaction in one set-based pass.
BEGIN;

CREATE INDEX workflows_unresolved_idx ON tributary.workflows (id) WHERE steps_total IS NULL;

COMMENT ON INDEX tributary.workflows_unresolved_idx IS
  'Directly inserted workflows not yet resolved: what the COMMIT-time resolution of a transaction reads.';

COMMIT;
