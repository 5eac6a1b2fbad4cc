-- The rules of a step (tables/steps_rules): one CHECK constraint, steps_rules, calls
-- tributary._step_rules with the columns of every written row. Each of the 35 rules, broken alone, is reported as
-- PostgreSQL reports a broken CHECK constraint of that name (SQLSTATE 23514, the constraint, table
-- and schema in the error's fields, the same message); a rule that does not apply (NULL) passes;
-- of several broken rules the first in name order is named; the rules hold for the engine's
-- writes and for a submitter's plain INSERT; and no search_path changes what they mean.
BEGIN;
SELECT plan(44);

-- A valid step, and the rule a change of it breaks.
CREATE TEMP TABLE valid_step ON COMMIT DROP AS SELECT jsonb_build_object(
  'id', 1, 'workflow_id', 1, 'task_name', 't', 'kind', 'k', 'args', '{}'::jsonb, 'depends_on', ARRAY['a'],
  'queue', 'q', 'priority', 0, 'max_attempts', 3, 'timeout', '1 hour', 'retry_backoff', '1 second',
  'state', 'pending', 'attempt', 0, 'remaining_deps', 1, 'scheduled_at', '2026-01-01T00:00:00Z',
  'created_at', '2026-01-01T00:00:00Z', 'errors', '[]'::jsonb, 'run_when', 'all_completed', 'flow_limited', false) AS row;

-- The rules of a step given as jsonb (the columns steps_rules passes, read from it).
CREATE FUNCTION pg_temp.rules_of(p_step jsonb) RETURNS boolean LANGUAGE sql AS $$
  SELECT tributary._step_rules(r.attempt, r.cancel_reason, r.concurrency_key, r.depends_on, r.errors, r.finalized_at, r.kind,
    r.lease_expires_at, r.map_index, r.map_over, r.map_path, r.map_size, r.map_step_id, r.max_attempts, r.queue,
    r.remaining_deps, r.result, r.retry_backoff, r.run_if, r.run_when, r.scheduled_at, r.state, r.task_name,
    r.timeout, r.wait, r.wake_at, r.worker_id)
  FROM jsonb_populate_record(NULL::tributary.steps, p_step) AS r
$$;

CREATE FUNCTION pg_temp.broken_rule(p_change jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_constraint text;
  v_table text;
  v_schema text;
BEGIN
  PERFORM pg_temp.rules_of((SELECT row FROM valid_step) || p_change);
  RETURN NULL;
EXCEPTION WHEN check_violation THEN
  GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME, v_table = TABLE_NAME, v_schema = SCHEMA_NAME;
  RETURN v_schema || '.' || v_table || ' ' || v_constraint;
END;
$$;

SELECT ok(pg_temp.rules_of((SELECT row FROM valid_step)),
  'a valid step passes');

SELECT is(pg_temp.broken_rule(c.change), 'tributary.steps ' || c.rule, c.rule || ' is broken by ' || c.change::text)
FROM (VALUES
  ('steps_attempt_within_max', '{"attempt": 4}'::jsonb),
  ('steps_attempts_left_bounded', '{"max_attempts": 2000000}'),
  ('steps_available_means_no_remaining_deps', '{"state": "available"}'),
  ('steps_cancel_reason_iff_cancelled', '{"cancel_reason": "why"}'),
  ('steps_concurrency_key_bounded', '{"concurrency_key": ""}'),
  ('steps_depends_on_has_no_nulls', '{"depends_on": ["a", null]}'),
  ('steps_errors_is_array', '{"errors": {}}'),
  ('steps_finalized_at_set_iff_final', '{"finalized_at": "2026-01-01T00:00:00Z"}'),
  ('steps_kind_length', jsonb_build_object('kind', repeat('k', 256))),
  ('steps_kind_not_blank', '{"kind": ""}'),
  ('steps_lease_set_iff_running', '{"lease_expires_at": "2026-01-01T00:00:00Z"}'),
  ('steps_map_element_has_index', '{"map_step_id": 7}'),
  ('steps_map_over_is_dependency', '{"map_over": "b"}'),
  ('steps_map_path_needs_map_over', '{"map_path": "$.x"}'),
  ('steps_map_size_needs_map_over', '{"map_size": 1}'),
  ('steps_max_attempts_positive', '{"max_attempts": 0}'),
  ('steps_queue_length', jsonb_build_object('queue', repeat('q', 256))),
  ('steps_queue_not_blank', '{"queue": ""}'),
  ('steps_remaining_deps_not_negative', '{"remaining_deps": -1}'),
  ('steps_result_only_when_completed', '{"result": {"a": 1}}'),
  ('steps_retry_backoff_bounded', '{"retry_backoff": "2 years"}'),
  ('steps_retry_backoff_not_negative', '{"retry_backoff": "-1 second"}'),
  ('steps_run_if_is_object', '{"run_if": []}'),
  ('steps_run_when_valid', '{"run_when": "sometimes"}'),
  ('steps_running_has_worker', '{"state": "running", "lease_expires_at": "2026-01-01T00:00:00Z"}'),
  ('steps_scheduled_at_finite', '{"scheduled_at": "infinity"}'),
  ('steps_state_valid', '{"state": "bogus"}'),
  ('steps_task_name_length', jsonb_build_object('task_name', repeat('t', 256))),
  ('steps_task_name_not_blank', '{"task_name": ""}'),
  ('steps_timeout_bounded', '{"timeout": "2 years"}'),
  ('steps_timeout_positive', '{"timeout": "0"}'),
  ('steps_wait_is_object', '{"wait": []}'),
  ('steps_wait_never_claimed', '{"wait": {"event": "e"}, "state": "available", "remaining_deps": 0}'),
  ('steps_wake_at_only_when_waiting', '{"wake_at": "2026-01-01T00:00:00Z"}'),
  ('steps_worker_id_length', jsonb_build_object('state', 'running', 'lease_expires_at', '2026-01-01T00:00:00Z',
                                                'worker_id', repeat('w', 256)))
) AS c(rule, change)
ORDER BY c.rule;

SELECT throws_ok(
  $$SELECT pg_temp.rules_of((SELECT row FROM valid_step) || '{"kind": ""}')$$,
  '23514', 'new row for relation "steps" violates check constraint "steps_kind_not_blank"',
  'the message is PostgreSQL''s for a broken CHECK constraint');
SELECT is(pg_temp.broken_rule('{"timeout": null, "concurrency_key": null, "run_if": null, "remaining_deps": null}'), NULL,
  'a rule that does not apply (NULL) passes, as a CHECK constraint passes NULL');
SELECT is(pg_temp.broken_rule('{"state": "bogus", "kind": "", "queue": ""}'), 'tributary.steps steps_kind_not_blank',
  'of several broken rules, the first in name order is named (as PostgreSQL checks constraints)');

-- The engine's writes: an UPDATE of a real step that breaks a rule fails under that rule's name.
SELECT tributary.create_workflow('rules', '[{"name": "a", "kind": "k"}]') AS wf \gset
SELECT throws_ok(
  format($$UPDATE tributary.steps SET max_attempts = 0 WHERE workflow_id = %s$$, :wf),
  '23514', 'new row for relation "steps" violates check constraint "steps_max_attempts_positive"',
  'an UPDATE of steps that breaks a rule is refused under its name');

-- A submitter's plain INSERT runs the rules as the submitter (EXECUTE is granted for that).
SELECT role_name AS submitter FROM tributary.roles WHERE purpose = 'submitter' \gset
SET LOCAL ROLE :"submitter";
INSERT INTO tributary.workflows (name) VALUES ('rules-direct') RETURNING id AS direct \gset
SELECT throws_ok(
  format($$INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'a', '')$$, :direct),
  '23514', 'new row for relation "steps" violates check constraint "steps_kind_not_blank"',
  'a submitter''s INSERT of a blank kind is refused under the rule''s name');
SELECT lives_ok(
  format($$INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'a', 'k')$$, :direct),
  'a submitter''s INSERT of a valid step passes the rules');
RESET ROLE;

-- No search_path changes what the rules mean: every operator in them is qualified. An operator <>
-- on text that says every two texts differ, searched before pg_catalog, is not the one they use.
CREATE SCHEMA rules_hijack;
CREATE FUNCTION rules_hijack.always_differ(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR rules_hijack.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = rules_hijack.always_differ);
SET LOCAL search_path = rules_hijack, pg_catalog, public;
SELECT is(pg_temp.broken_rule('{"kind": ""}'), 'tributary.steps steps_kind_not_blank',
  'a search_path that puts another operator <> first does not change the rules');
SELECT ok('' <> '', 'the other operator <> is the one that search_path finds');
RESET search_path;

SELECT * FROM finish();
ROLLBACK;
