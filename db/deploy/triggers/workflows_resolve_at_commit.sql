-- Deploy tributary:triggers/workflows_resolve_at_commit
-- requires: triggers/workflows_resolve_at_commit@v0.1.0
-- requires: functions/_resolve_workflows
-- requires: indexes/workflows_unresolved
--
-- The COMMIT-time resolution of directly inserted workflows (plain INSERTs, COPY) is set-based
-- over every workflow of the transaction: the first deferred trigger that fires resolves all the
-- workflows the transaction inserted and left unresolved (read from workflows_unresolved_idx;
-- other transactions' unresolved rows are invisible to it), in one call of _resolve_workflows;
-- the later firings find their workflow resolved and do nothing. The triggers themselves are
-- unchanged (created by the @v0.1.0 form of this change).
BEGIN;

CREATE OR REPLACE FUNCTION tributary.tg_workflows__resolve_at_commit()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tributary.workflows AS w WHERE w.id = NEW.id AND w.steps_total IS NULL) THEN
    PERFORM tributary._resolve_workflows(ARRAY(
      SELECT w.id FROM tributary.workflows AS w WHERE w.steps_total IS NULL ORDER BY w.id));
  END IF;
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.tg_workflows__resolve_at_commit() IS
  'Trigger: at COMMIT, resolves and validates the graphs of every workflow the transaction inserted directly, in one set-based pass.';

COMMIT;
