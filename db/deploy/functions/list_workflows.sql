-- Deploy tributary:functions/list_workflows
-- requires: tables/workflows
-- requires: indexes/workflows_created_at_idx
-- requires: indexes/workflows_state_created_at_idx
-- requires: indexes/workflows_name_created_at_idx
--
-- One page of workflows, newest first (created_at, then id, descending), for dashboards and the
-- command line. Every filter is optional (NULL: no filter): p_state, p_name (exact), p_since
-- (created at or after), p_search (all digits: that workflow id; otherwise a name prefix). The
-- next page starts after p_before_id, the last id of the previous page (keyset pagination: no
-- OFFSET, so page 1,000 costs what page 1 costs). Each statement is planned with the caller's
-- values (force_custom_plan), so an absent filter drops out and the plan is an ordered range of
-- one index (workflows_created_at_idx, _state_created_at_idx or _name_created_at_idx) stopped
-- at p_limit rows. A name-prefix search reads every workflow whose name has that prefix.
-- Raises TB012 for a limit outside 1..1000, TB009 when p_before_id does not exist. Locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.list_workflows(
  p_state text DEFAULT NULL,
  p_name text DEFAULT NULL,
  p_since timestamptz DEFAULT NULL,
  p_search text DEFAULT NULL,
  p_before_id bigint DEFAULT NULL,
  p_limit integer DEFAULT 50)
RETURNS TABLE (
  id bigint, name text, state text, metadata jsonb, steps_total integer, steps_unfinished integer,
  created_at timestamptz, scheduled_at timestamptz, cancelled_at timestamptz, finalized_at timestamptz)
LANGUAGE plpgsql
STABLE
SET search_path = ''
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
  v_search text := nullif(pg_catalog.btrim(p_search), '');
  v_id bigint;
  v_prefix text;
  v_before_at timestamptz;
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION 'limit must be between 1 and 1000, got %', p_limit USING ERRCODE = 'TB012';
  END IF;
  IF p_state IS NOT NULL AND p_state NOT IN ('running', 'completed', 'failed', 'cancelled') THEN
    RAISE EXCEPTION 'unknown workflow state "%"', p_state USING ERRCODE = 'TB012',
      HINT = 'A workflow is running, completed, failed or cancelled.';
  END IF;
  IF p_before_id IS NOT NULL THEN
    SELECT w.created_at INTO v_before_at FROM tributary.workflows AS w WHERE w.id = p_before_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'workflow % does not exist', p_before_id USING ERRCODE = 'TB009',
        HINT = 'p_before_id is the last id of the previous page; start again from the first page.';
    END IF;
  END IF;
  IF v_search ~ '^[0-9]{1,18}$' THEN
    v_id := v_search::bigint;
  ELSIF v_search IS NOT NULL THEN
    v_prefix := pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(v_search, '\', '\\'), '%', '\%'), '_', '\_')
                || '%';
  END IF;

  RETURN QUERY
    SELECT w.id, w.name, w.state, w.metadata, w.steps_total, w.steps_unfinished,
           w.created_at, w.scheduled_at, w.cancelled_at, w.finalized_at
    FROM tributary.workflows AS w
    WHERE (v_id IS NULL OR w.id = v_id)
      AND (p_state IS NULL OR w.state = p_state)
      AND (p_name IS NULL OR w.name = p_name)
      AND (v_prefix IS NULL OR w.name LIKE v_prefix)
      AND (p_since IS NULL OR w.created_at >= p_since)
      AND (v_before_at IS NULL OR (w.created_at, w.id) < (v_before_at, p_before_id))
    ORDER BY w.created_at DESC, w.id DESC
    LIMIT p_limit;
END;
$$;

COMMENT ON FUNCTION tributary.list_workflows(text, text, timestamptz, text, bigint, integer) IS
  'One page of workflows, newest first; optional filters state, name, since, search (an id, or a name prefix); next page after p_before_id. TB012 bad limit or state, TB009 unknown p_before_id.';

COMMIT;
