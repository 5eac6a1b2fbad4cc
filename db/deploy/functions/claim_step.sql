-- Deploy tributary:functions/claim_step
-- requires: tables/step_dependencies
--
-- Claims up to p_max_steps claimable steps of a queue for p_worker_id: available, scheduled_at
-- passed, highest priority first, then oldest scheduled_at, then id. Rows are locked with
-- FOR NO KEY UPDATE SKIP LOCKED, so concurrent claimers never wait on each other nor claim a step
-- twice. Each claimed step becomes running with attempt + 1, a lease of
-- settings.lease_duration and, when it has a timeout, a deadline (the lease never outlives it,
-- so rescue_expired_steps() takes back an attempt that ran past its timeout). Returns each step with its
-- args and the results of its direct dependencies as one jsonb object keyed by task name, and
-- whether other steps wait for it (a worker reports those completions first). A skipped
-- dependency (of an any_completed join) is left out of the results.
-- Claims nothing from a queue paused by pause_queue(); such a claim clears the queue's retry
-- time, so claim_retry_in() says NULL while the queue is paused.
-- Global concurrency and rate limits (tributary.flow_limits): whether the queue or any
-- concurrency key has a limit. One statement of index probes reads the pause, the limits and the
-- lease duration before the claim (the claim's own plan is unchanged); when nothing limits the
-- queue, the claim is the plain one below. Otherwise _claim_under_limits() chooses and locks the
-- steps (and leaves in the session setting tributary.claim_retry_at when a rate limit held one
-- back; claim_retry_in() reads it), and the plain choice is skipped (its InitPlan is gated on
-- v_ids IS NULL).
-- The transaction-local setting tributary.claim_unrestricted says afterwards whether nothing
-- but this claim's own take decided what it got: the queue's name when the queue was not paused
-- and no limit applied (then a claim that took fewer steps than it asked for took every step
-- claimable now), '' otherwise. complete_steps_and_claim reads it right after each claim.
-- Reads only the ready index (steps_ready_idx): pending and finished steps are never scanned.
-- O(p_max_steps): the claimed ids are collected once (an InitPlan) and the rows updated by
-- primary key; no join of the table with the list of claimed ids, which a nested loop could
-- rescan for every row. The dependency results are read through the step's edges and the
-- parents' primary key: a generic plan made on a small table could look them up by
-- workflow_id alone and filter on the names, reading the whole workflow for each claimed step.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.claim_step(
  p_queue text,
  p_worker_id text,
  p_max_steps integer DEFAULT 1
)
RETURNS TABLE (
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
  has_dependents boolean
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
  v_now timestamptz := tributary.now();
  v_lease interval;
  v_paused boolean;
  v_queue_limited boolean;
  v_keys_limited boolean;
  v_ids bigint[];                -- chosen under limits; NULL: the plain choice
  v_flow_limited bigint[] := '{}';
  v_retry_at timestamptz;
  v_setting text;  -- what set_config returns (an assignment is evaluated without a statement of its own)
BEGIN
  IF p_max_steps IS NULL OR p_max_steps < 1 THEN
    RAISE EXCEPTION 'max_steps must be at least 1, got %', p_max_steps
      USING ERRCODE = 'TB012';
  END IF;
  SELECT EXISTS (SELECT 1 FROM tributary.paused_queues AS pq WHERE pq.queue = p_queue),
         EXISTS (SELECT 1 FROM tributary.flow_limits AS f WHERE f.scope = 'queue' AND f.name = p_queue),
         EXISTS (SELECT 1 FROM tributary.flow_limits AS f WHERE f.scope = 'key'),
         (tributary._settings()).lease_duration
  INTO v_paused, v_queue_limited, v_keys_limited, v_lease;
  IF v_paused THEN
    v_setting := pg_catalog.set_config('tributary.claim_unrestricted', '', true);
    -- Nothing until resume_queue, which wakes the workers: forget a retry time an earlier limited
    -- claim of this queue left, so that claim_retry_in says NULL (once past it would say 0).
    IF pg_catalog.left(pg_catalog.current_setting('tributary.claim_retry_at', true), pg_catalog.length(p_queue) + 1) = p_queue || ' ' THEN
      v_setting := pg_catalog.set_config('tributary.claim_retry_at', '', false);
    END IF;
    RETURN;
  END IF;
  v_setting := pg_catalog.set_config('tributary.claim_unrestricted',
                                     CASE WHEN v_queue_limited OR v_keys_limited THEN '' ELSE p_queue END, true);
  IF v_queue_limited OR v_keys_limited THEN
    SELECT l.step_ids, l.limited_ids, l.retry_at INTO v_ids, v_flow_limited, v_retry_at
    FROM tributary._claim_under_limits(p_queue, p_max_steps, v_now, v_queue_limited, v_keys_limited) AS l;
    v_setting := pg_catalog.set_config('tributary.claim_retry_at', coalesce(p_queue || ' ' || v_retry_at::text, ''), false);
    IF pg_catalog.cardinality(v_ids) = 0 THEN
      RETURN;
    END IF;
  END IF;

  RETURN QUERY
  WITH claimed AS (
    UPDATE tributary.steps AS s
    SET state = 'running',
        attempt = s.attempt + 1,
        attempted_at = v_now,
        worker_id = p_worker_id,
        lease_expires_at = LEAST(v_now + v_lease, v_now + s.timeout),
        deadline_at = v_now + s.timeout,
        flow_limited = s.id = ANY (v_flow_limited)
    WHERE s.id = ANY (ARRAY(
      SELECT r.id
      FROM tributary.steps AS r
      WHERE r.state = 'available' AND r.queue = p_queue AND r.scheduled_at <= v_now AND v_ids IS NULL
      ORDER BY r.priority DESC, r.scheduled_at, r.id
      LIMIT p_max_steps
      FOR NO KEY UPDATE SKIP LOCKED
    ) || v_ids)
    RETURNING s.id, s.workflow_id, s.task_name, s.kind, s.args, s.attempt, s.max_attempts, s.queue,
              s.priority, s.scheduled_at, s.timeout, s.deadline_at, s.lease_expires_at, s.depends_on
  )
  SELECT c.id, c.workflow_id, c.task_name, c.kind, c.args, c.attempt, c.max_attempts, c.queue,
         c.priority, c.timeout, c.deadline_at, c.lease_expires_at,
         CASE WHEN pg_catalog.cardinality(c.depends_on) = 0 THEN '{}'::jsonb
              ELSE (SELECT pg_catalog.jsonb_object_agg(p.task_name, p.result)
                    FROM tributary.steps AS p
                    WHERE p.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                            WHERE d.step_id = c.id))
                      AND p.state = 'completed')
         END,
         EXISTS (SELECT 1 FROM tributary.step_dependencies AS d WHERE d.depends_on_step_id = c.id)
  FROM claimed AS c
  ORDER BY c.priority DESC, c.scheduled_at, c.id;
END;
$$;

COMMENT ON FUNCTION tributary.claim_step(text, text, integer) IS
  'Claims up to p_max_steps ready steps of a queue (FOR NO KEY UPDATE SKIP LOCKED; priority desc, scheduled_at, id): running, attempt+1, leased. Returns args and the direct dependencies'' results keyed by task name. Nothing from a paused queue; obeys the concurrency and rate limits of tributary.flow_limits.';

COMMIT;
