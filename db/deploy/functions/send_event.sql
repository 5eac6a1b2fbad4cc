-- Deploy tributary:functions/send_event
-- requires: tables/events
-- requires: functions/_lock_event
-- requires: functions/_complete_waits
--
-- Sends an event, addressed either to a workflow (p_workflow_id: ends a wait_for task of that
-- workflow without "key") or by a correlation key (p_key: ends a wait_for task with that "key",
-- in any workflow). Each event ends exactly one wait: the oldest step (lowest id) waiting for it
-- is completed with p_payload as its result, its dependents unlocked, and its id returned. With
-- no step waiting, the event is kept (tributary.events) for the first wait that begins for it
-- and NULL is returned: an event to a workflow until that workflow finishes, a keyed event for
-- p_ttl (default 7 days). Raises TB302 for invalid arguments (no event name, neither or both
-- addresses, a ttl with a workflow address, not positive or over a year), TB300 for an unknown workflow and
-- TB301 for a finished one. Takes the event's advisory lock (_lock_event), then locks the step
-- it completes. Reads by key (steps_waiting_event_idx).
BEGIN;

CREATE OR REPLACE FUNCTION tributary.send_event(
  p_event text,
  p_payload jsonb DEFAULT NULL,
  p_workflow_id bigint DEFAULT NULL,
  p_key text DEFAULT NULL,
  p_ttl interval DEFAULT NULL
)
RETURNS bigint
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
  v_state text;
  v_step_id bigint;
BEGIN
  IF p_event IS NULL OR pg_catalog.length(p_event) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'an event needs a name of 1 to 255 characters'
      USING ERRCODE = 'TB302', HINT = 'send_event(''approved'', ''{"by": "ana"}'', p_workflow_id => 42)';
  END IF;
  IF (p_workflow_id IS NULL) = (p_key IS NULL) THEN
    RAISE EXCEPTION 'event "%" needs exactly one address: p_workflow_id or p_key', p_event
      USING ERRCODE = 'TB302',
            HINT = 'p_workflow_id ends a wait of that workflow; p_key ends a wait declared with that "key".';
  END IF;
  IF p_key IS NOT NULL AND pg_catalog.length(p_key) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'event "%": the key must have 1 to 255 characters', p_event USING ERRCODE = 'TB302';
  END IF;
  IF p_ttl IS NOT NULL AND (p_key IS NULL OR p_ttl <= interval '0') THEN
    RAISE EXCEPTION 'event "%": p_ttl is for keyed events and must be positive', p_event
      USING ERRCODE = 'TB302',
            HINT = 'An event sent to a workflow is kept until the workflow finishes.';
  END IF;
  IF p_ttl > interval '1 year' THEN
    RAISE EXCEPTION 'event "%": p_ttl must be at most a year, got %', p_event, p_ttl
      USING ERRCODE = 'TB302', HINT = 'An unclaimed keyed event is kept for p_ttl (default 7 days).';
  END IF;

  IF p_workflow_id IS NOT NULL THEN
    SELECT w.state INTO v_state FROM tributary.workflows AS w WHERE w.id = p_workflow_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'event "%" for workflow %: the workflow does not exist', p_event, p_workflow_id
        USING ERRCODE = 'TB300';
    END IF;
    IF v_state <> 'running' THEN
      RAISE EXCEPTION 'event "%" for workflow %: the workflow is % and waits for nothing', p_event, p_workflow_id, v_state
        USING ERRCODE = 'TB301',
              HINT = 'Events are delivered to running workflows only.';
    END IF;
  END IF;

  PERFORM tributary._lock_event(p_workflow_id, p_key, p_event);
  LOOP
    -- The oldest step waiting for it, then locked; one that stopped waiting meanwhile is passed.
    IF p_key IS NULL THEN
      SELECT s.id INTO v_step_id FROM tributary.steps AS s
      WHERE (s.wait ->> 'event') = p_event AND (s.wait ->> 'key') IS NULL AND s.workflow_id = p_workflow_id
        AND s.state = 'waiting' AND s.wait IS NOT NULL
      ORDER BY (s.wait ->> 'event'), (s.wait ->> 'key'), s.workflow_id, s.id
      LIMIT 1;
    ELSE
      SELECT s.id INTO v_step_id FROM tributary.steps AS s
      WHERE (s.wait ->> 'event') = p_event AND (s.wait ->> 'key') = p_key
        AND s.state = 'waiting' AND s.wait IS NOT NULL
      ORDER BY s.id
      LIMIT 1;
    END IF;
    EXIT WHEN NOT FOUND;
    PERFORM 1 FROM tributary.steps AS s WHERE s.id = v_step_id AND s.state = 'waiting' FOR NO KEY UPDATE;
    IF FOUND THEN
      PERFORM tributary._complete_waits(ARRAY[v_step_id], ARRAY[p_payload]);
      RETURN v_step_id;
    END IF;
  END LOOP;

  INSERT INTO tributary.events (workflow_id, key, event, payload, sent_at, expires_at)
  VALUES (p_workflow_id, p_key, p_event, p_payload, v_now,
          CASE WHEN p_key IS NOT NULL THEN v_now + coalesce(p_ttl, interval '7 days') END);
  RETURN NULL;
END;
$$;

COMMENT ON FUNCTION tributary.send_event(text, jsonb, bigint, text, interval) IS
  'Sends an event to a workflow (p_workflow_id) or by correlation key (p_key): completes the oldest step waiting for it with p_payload and returns its id, else keeps it for the first wait that begins (NULL). TB300 unknown workflow, TB301 finished workflow, TB302 invalid arguments.';

COMMIT;
