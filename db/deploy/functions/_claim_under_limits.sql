-- Deploy tributary:functions/_claim_under_limits
-- requires: tables/flow_limits
-- requires: columns/steps_concurrency_key
--
-- claim_step()'s choice of steps when a limit may apply (tributary.flow_limits has a row for
-- the queue, or any row for a concurrency key). Returns the ids to claim, all of them locked
-- (FOR NO KEY UPDATE SKIP LOCKED) and still available, in claim order; those claimed under a
-- limit (flow_limited); and, when a rate limit or a busy key held a step back, when to claim
-- again (retry_at).
--
-- Locks, in this order so claimers never deadlock: the queue's row of flow_limits, then the
-- candidates one by one in claim order (SKIP LOCKED, like the plain claim), then the row of each
-- limited key met. It waits for a flow_limits row only while its transaction holds none (the
-- session setting tributary.holds_flow_limit names the transaction that took one: a worker
-- claims several queues in one transaction, and a function's SET clauses would undo a
-- transaction-local setting at its exit); any other it takes SKIP LOCKED: a queue row held elsewhere makes the claim
-- take nothing, a key row held elsewhere makes it leave that key's steps, and either asks for an
-- immediate retry. A transaction waits only while it holds no such row, so no cycle of waits forms.
-- The row locks are held until the claim's transaction ends, so under READ COMMITTED the
-- next claimer of the same queue or key counts the running steps after this claim committed:
-- a limit is never exceeded.
--
-- Cost: one primary-key lookup per limited queue or distinct key met; the running steps (a lease
-- is set exactly while a step runs) of a queue or key are counted on steps_running_queue_idx / steps_running_key_idx, reading at most
-- the limit's number of entries (each count also reads the state from the row: an index-only
-- scan would never mark the entries of steps that stopped running as dead, and a count would
-- read every one of them until vacuum); the candidates are read from steps_ready_idx in claim order
-- until p_max_steps are chosen. A candidate whose key is full is read and passed over, so a
-- claim reads past the waiting steps of full keys that come first in claim order.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._claim_under_limits(
  p_queue text,
  p_max_steps integer,
  p_now timestamptz,
  p_queue_limited boolean,
  p_keys_limited boolean,
  OUT step_ids bigint[],
  OUT limited_ids bigint[],
  OUT retry_at timestamptz
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
DECLARE
  v_limit tributary.flow_limits%ROWTYPE;
  v_budget integer := p_max_steps;
  v_running integer;
  v_queue_tokens double precision;       -- NULL: the queue has no rate limit
  v_queue_rated boolean := false;
  v_queue_is_limited boolean := false;
  v_queue_due timestamptz;               -- when the queue's next token is due, if its bucket caps this claim
  v_candidates refcursor;
  v_step record;
  v_i integer;
  v_keys text[] := '{}';                  -- the keys met, and per key:
  v_left integer[] := '{}';               --   how many more of its steps this claim may take
  v_tokens double precision[] := '{}';    --   its bucket's tokens now (NULL: no rate limit)
  v_per double precision[] := '{}';       --   seconds per token (NULL: no rate limit)
  v_taken integer[] := '{}';              --   how many of its steps this claim took
  v_is_limited boolean[] := '{}';         --   whether it has a limit
  -- Whether this transaction already holds a row of flow_limits (an earlier claim in it).
  v_holds_key boolean := coalesce(pg_catalog.current_setting('tributary.holds_flow_limit', true)
                                  = pg_catalog.pg_current_xact_id_if_assigned()::text, false);
BEGIN
  step_ids := '{}';
  limited_ids := '{}';
  retry_at := NULL;

  IF p_queue_limited THEN
    IF v_holds_key THEN
      SELECT f.* INTO v_limit FROM tributary.flow_limits AS f
      WHERE f.scope = 'queue' AND f.name = p_queue
      FOR UPDATE SKIP LOCKED;
      IF NOT FOUND AND EXISTS (SELECT 1 FROM tributary.flow_limits AS f WHERE f.scope = 'queue' AND f.name = p_queue) THEN
        retry_at := p_now;  -- another claimer holds the queue's row: come back at once
        RETURN;
      END IF;
    ELSE
      SELECT f.* INTO v_limit FROM tributary.flow_limits AS f
      WHERE f.scope = 'queue' AND f.name = p_queue
      FOR UPDATE;
    END IF;
    IF FOUND THEN
      v_holds_key := true;
      PERFORM pg_catalog.set_config('tributary.holds_flow_limit', pg_catalog.pg_current_xact_id_if_assigned()::text, false);
      v_queue_is_limited := true;
      IF v_limit.max_running IS NOT NULL THEN
        SELECT pg_catalog.count(*)::integer INTO v_running
        FROM (SELECT 1 FROM tributary.steps AS s
              WHERE s.lease_expires_at > '-infinity' AND s.queue = p_queue AND s.state = 'running'
              LIMIT v_limit.max_running) AS running;
        v_budget := LEAST(v_budget, v_limit.max_running - v_running);
      END IF;
      IF v_limit.rate_max_starts IS NOT NULL THEN
        v_queue_rated := true;
        v_queue_tokens := LEAST(v_limit.rate_max_starts::double precision,
          coalesce(v_limit.tokens + GREATEST(0, pg_catalog.date_part('epoch', p_now - v_limit.tokens_at))
                     / pg_catalog.date_part('epoch', v_limit.rate_period) * v_limit.rate_max_starts,
                   v_limit.rate_max_starts));
        IF v_queue_tokens < v_budget THEN
          -- The bucket caps this claim: if it takes all it may, the next token is due then.
          v_budget := pg_catalog.floor(v_queue_tokens)::integer;
          v_queue_due := p_now + pg_catalog.make_interval(secs =>
            (pg_catalog.floor(v_queue_tokens) + 1 - v_queue_tokens)
            * pg_catalog.date_part('epoch', v_limit.rate_period) / v_limit.rate_max_starts);
        END IF;
      END IF;
    END IF;
  END IF;
  IF v_budget <= 0 THEN
    retry_at := v_queue_due;
    RETURN;
  END IF;

  IF NOT p_keys_limited THEN
    step_ids := ARRAY(
      SELECT r.id
      FROM tributary.steps AS r
      WHERE r.state = 'available' AND r.queue = p_queue AND r.scheduled_at <= p_now
      ORDER BY r.priority DESC, r.scheduled_at, r.id
      LIMIT v_budget
      FOR NO KEY UPDATE SKIP LOCKED);
  ELSE
    OPEN v_candidates NO SCROLL FOR
      SELECT r.id, r.concurrency_key
      FROM tributary.steps AS r
      WHERE r.state = 'available' AND r.queue = p_queue AND r.scheduled_at <= p_now
      ORDER BY r.priority DESC, r.scheduled_at, r.id
      FOR NO KEY UPDATE SKIP LOCKED;
    WHILE pg_catalog.cardinality(step_ids) < v_budget LOOP
      FETCH v_candidates INTO v_step;
      EXIT WHEN NOT FOUND;
      IF v_step.concurrency_key IS NULL THEN
        step_ids := step_ids || v_step.id;
        CONTINUE;
      END IF;
      v_i := pg_catalog.array_position(v_keys, v_step.concurrency_key);
      IF v_i IS NULL THEN
        -- The first step of this key: its limits, under its row's lock.
        IF v_holds_key THEN
          SELECT f.* INTO v_limit FROM tributary.flow_limits AS f
          WHERE f.scope = 'key' AND f.name = v_step.concurrency_key
          FOR UPDATE SKIP LOCKED;
        ELSE
          SELECT f.* INTO v_limit FROM tributary.flow_limits AS f
          WHERE f.scope = 'key' AND f.name = v_step.concurrency_key
          FOR UPDATE;
        END IF;
        v_keys := v_keys || v_step.concurrency_key;
        v_i := pg_catalog.cardinality(v_keys);
        v_taken := v_taken || 0;
        IF FOUND THEN
          IF NOT v_holds_key THEN
            v_holds_key := true;
            PERFORM pg_catalog.set_config('tributary.holds_flow_limit', pg_catalog.pg_current_xact_id_if_assigned()::text, false);
          END IF;
          v_is_limited := v_is_limited || true;
          v_left := v_left || p_max_steps;
          IF v_limit.max_running IS NOT NULL THEN
            SELECT pg_catalog.count(*)::integer INTO v_running
            FROM (SELECT 1 FROM tributary.steps AS s
                  WHERE s.lease_expires_at IS NOT NULL AND s.concurrency_key = v_step.concurrency_key
                    AND s.state = 'running'
                  LIMIT v_limit.max_running) AS running;
            v_left[v_i] := v_limit.max_running - v_running;
          END IF;
          IF v_limit.rate_max_starts IS NOT NULL THEN
            v_per := v_per || (pg_catalog.date_part('epoch', v_limit.rate_period) / v_limit.rate_max_starts);
            v_tokens := v_tokens || LEAST(v_limit.rate_max_starts::double precision,
              coalesce(v_limit.tokens + GREATEST(0, pg_catalog.date_part('epoch', p_now - v_limit.tokens_at)) / v_per[v_i],
                       v_limit.rate_max_starts));
          ELSE
            v_per := v_per || NULL::double precision;
            v_tokens := v_tokens || NULL::double precision;
          END IF;
        ELSIF v_holds_key AND EXISTS (SELECT 1 FROM tributary.flow_limits AS f
                                      WHERE f.scope = 'key' AND f.name = v_step.concurrency_key) THEN
          -- Another claimer holds this key's row: leave its steps, and come back at once.
          v_is_limited := v_is_limited || true;
          v_left := v_left || 0;
          v_per := v_per || NULL::double precision;
          v_tokens := v_tokens || NULL::double precision;
          retry_at := LEAST(retry_at, p_now);  -- LEAST ignores a NULL
        ELSE
          v_is_limited := v_is_limited || false;
          v_left := v_left || p_max_steps;
          v_per := v_per || NULL::double precision;
          v_tokens := v_tokens || NULL::double precision;
        END IF;
      END IF;
      IF v_left[v_i] <= 0 THEN
        CONTINUE;
      END IF;
      IF v_tokens[v_i] IS NOT NULL AND v_tokens[v_i] - v_taken[v_i] < 1 THEN
        retry_at := LEAST(retry_at, p_now + pg_catalog.make_interval(
          secs => (1 - (v_tokens[v_i] - v_taken[v_i])) * v_per[v_i]));
        CONTINUE;
      END IF;
      v_left[v_i] := v_left[v_i] - 1;
      v_taken[v_i] := v_taken[v_i] + 1;
      step_ids := step_ids || v_step.id;
      IF v_is_limited[v_i] THEN
        limited_ids := limited_ids || v_step.id;
      END IF;
    END LOOP;
    CLOSE v_candidates;

    -- Each rated key pays one token per step taken.
    FOR v_i IN 1 .. pg_catalog.cardinality(v_keys) LOOP
      IF v_tokens[v_i] IS NOT NULL AND v_taken[v_i] > 0 THEN
        UPDATE tributary.flow_limits AS f
        SET tokens = v_tokens[v_i] - v_taken[v_i], tokens_at = p_now
        WHERE f.scope = 'key' AND f.name = v_keys[v_i];
      END IF;
    END LOOP;
  END IF;

  IF v_queue_due IS NOT NULL AND pg_catalog.cardinality(step_ids) = v_budget THEN
    retry_at := LEAST(retry_at, v_queue_due);
  END IF;
  IF v_queue_is_limited THEN
    limited_ids := step_ids;
    IF v_queue_rated AND pg_catalog.cardinality(step_ids) > 0 THEN
      UPDATE tributary.flow_limits AS f
      SET tokens = v_queue_tokens - pg_catalog.cardinality(step_ids), tokens_at = p_now
      WHERE f.scope = 'queue' AND f.name = p_queue;
    END IF;
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary._claim_under_limits(text, integer, timestamptz, boolean, boolean) IS
  'Internal (claim_step): chooses and locks the steps to claim under the queue''s and the keys'' concurrency and rate limits; returns them, those claimed under a limit, and when to retry if a rate limit held a step back.';

COMMIT;
