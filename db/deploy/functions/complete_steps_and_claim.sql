-- Deploy tributary:functions/complete_steps_and_claim
-- requires: functions/complete_steps
-- requires: functions/claim_steps
-- requires: functions/_notify_available
--
-- complete_steps() and then claim_steps() on each of p_queues, in one call: one statement, so
-- one transaction and one round trip even in autocommit. A worker that completes a step other
-- steps wait for calls it to claim, in the same transaction, the dependents that the completion
-- made claimable. Returns the completion outcomes first (outcome set, as complete_steps returns
-- them, the other columns NULL), then the steps each claim took, queue by queue in the order of
-- p_queues (outcome NULL, the columns of claim_steps). Both halves keep their own rules: the
-- completion never raises for a single step of the batch; the claims obey paused queues and
-- flow limits. Nothing is completed when the claims are refused (TB012: p_queues and
-- p_max_steps of different lengths, a max_steps below 1); a failure of either half undoes both.
-- Notifications: the queues on which the completion made steps claimable now are collected
-- (tributary.defer_available, see _notify_available) rather than notified, and notified after
-- the claims unless a claim of the queue took fewer steps than it asked for and nothing but
-- that claim's own take decided what it got: the claim found the queue not paused and no limit
-- on the queue or on any concurrency key (claim_step says so in tributary.claim_unrestricted).
-- Such a claim took every step claimable now, so no other worker process is woken for a step
-- this call took (each would run a claim that finds nothing). Under a pause or a limit the
-- notification stays: a resume_queue, a freed slot or a rate limit's next token between this
-- claim and its COMMIT would wake claimers that cannot see the steps yet, and this call's own
-- notification is what wakes them again.
-- complete_steps_and_start calls it, with nothing to complete, for its claims and that notification:
-- the queues its own completion and creations collected in the same transaction are kept.
-- Cost: the sum of its halves, minus a statement's round trip and parsing per half.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.complete_steps_and_claim(
  p_step_ids bigint[],
  p_attempts integer[],
  p_results jsonb[],
  p_worker_id text,
  p_queues text[],
  p_max_steps integer[]
)
RETURNS TABLE (
  outcome text,
  step_id bigint,
  workflow_id bigint,
  task_name text,
  kind text,
  args jsonb,
  attempt integer,
  max_attempts integer,
  queue text,
  priority integer,
  timeout interval,
  deadline_at timestamptz,
  lease_expires_at timestamptz,
  dependency_results jsonb,
  dependency_attempts jsonb,
  has_dependents boolean,
  map_element jsonb
)
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  v_i integer;
  v_bad integer;
  v_taken integer;
  v_drained text[] := '{}';  -- queues whose claim took fewer steps than it asked for
  v_deferred text[];
  v_queue text;
  v_setting text;  -- what set_config returns (an assignment is evaluated without a statement of its own)
BEGIN
  IF pg_catalog.array_ndims(p_queues) > 1 OR pg_catalog.array_ndims(p_max_steps) > 1 THEN
    RAISE EXCEPTION 'queues and max_steps must be one-dimensional arrays'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.cardinality(p_queues) IS DISTINCT FROM pg_catalog.cardinality(p_max_steps) THEN
    RAISE EXCEPTION 'queues and max_steps must have the same length'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.array_position(p_queues, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'queues must not contain NULL'
      USING ERRCODE = 'TB012';
  END IF;
  IF pg_catalog.array_position(p_max_steps, NULL) IS NOT NULL OR 1 > ANY (p_max_steps) THEN
    SELECT m.n INTO v_bad FROM pg_catalog.unnest(p_max_steps) AS m(n) WHERE m.n IS NULL OR m.n < 1 LIMIT 1;
    RAISE EXCEPTION 'max_steps must be at least 1, got %', v_bad
      USING ERRCODE = 'TB012';
  END IF;

  -- complete_steps_and_start calls this with an empty completion, after its own, while collecting
  -- the queues of this transaction: what it collected stays.
  IF pg_catalog.current_setting('tributary.defer_available', true) IS DISTINCT FROM pg_catalog.pg_current_xact_id()::text THEN
    v_setting := pg_catalog.set_config('tributary.deferred_available', '', true);  -- whatever a session put there
    v_setting := pg_catalog.set_config('tributary.defer_available', pg_catalog.pg_current_xact_id()::text, true);
  END IF;
  IF NOT coalesce(pg_catalog.cardinality(p_step_ids) = 0 AND pg_catalog.cardinality(p_attempts) = 0
                  AND coalesce(pg_catalog.cardinality(p_results), 0) = 0, false) THEN  -- nothing to complete: not even a call
    RETURN QUERY
    SELECT c.outcome, c.step_id, NULL::bigint, NULL::text, NULL::text, NULL::jsonb, NULL::integer, NULL::integer,
           NULL::text, NULL::integer, NULL::interval, NULL::timestamptz, NULL::timestamptz, NULL::jsonb, NULL::jsonb,
           NULL::boolean, NULL::jsonb
    FROM tributary.complete_steps(p_step_ids, p_attempts, p_results) AS c;
  END IF;

  FOR v_i IN 1 .. coalesce(pg_catalog.cardinality(p_queues), 0) LOOP
    RETURN QUERY
    SELECT NULL::text, c.step_id, c.workflow_id, c.task_name, c.kind, c.args, c.attempt, c.max_attempts, c.queue,
           c.priority, c.timeout, c.deadline_at, c.lease_expires_at, c.dependency_results, c.dependency_attempts,
           c.has_dependents, c.map_element
    FROM tributary.claim_steps(p_queues[v_i], p_worker_id, p_max_steps[v_i]) AS c;
    GET DIAGNOSTICS v_taken = ROW_COUNT;
    IF v_taken < p_max_steps[v_i]
       AND pg_catalog.current_setting('tributary.claim_unrestricted', true) = p_queues[v_i] THEN
      v_drained := v_drained || p_queues[v_i];
    END IF;
  END LOOP;

  v_deferred := NULLIF(pg_catalog.current_setting('tributary.deferred_available', true), '')::text[];
  v_setting := pg_catalog.set_config('tributary.defer_available', '', true);
  v_setting := pg_catalog.set_config('tributary.deferred_available', '', true);
  FOREACH v_queue IN ARRAY v_drained LOOP  -- expressions, not a statement per call
    v_deferred := pg_catalog.array_remove(v_deferred, v_queue);
  END LOOP;
  IF pg_catalog.cardinality(v_deferred) > 0 THEN
    PERFORM tributary._notify_available(v_deferred);
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[]) IS
  'complete_steps, then claim_steps on each of p_queues (up to p_max_steps[i] each) for p_worker_id, in one call and one transaction: the outcome rows first (outcome set), then the claimed steps (outcome NULL). TB012 for mismatched or invalid claims, before anything is completed.';

COMMIT;
