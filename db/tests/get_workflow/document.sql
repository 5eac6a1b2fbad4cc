-- get_workflow(id): the workflow and, per task name, what rebuilds its graph (depends_on as task
-- names, args as stored, sealed envelopes untouched) next to its state, attempt, timestamps,
-- errors and result; TB009 for an unknown workflow.
BEGIN;
SELECT plan(14);

SELECT tributary_test.set_now('2030-03-01 00:00:00+00');
SELECT tributary.create_workflow('doc', $$[
  {"name": "a", "kind": "k_a", "args": {"n": 1}},
  {"name": "b", "kind": "k_b", "depends_on": ["a"], "args": {"tributary_sealed": 1, "kid": "ab12", "ct": "c2VhbGVk"}},
  {"name": "c", "kind": "k_c", "depends_on": ["a"], "queue": "doc-q", "max_attempts": 2},
  {"name": "d", "kind": "k_d", "depends_on": ["b", "c"], "scheduled_at": "2030-03-01 01:00:00+00"}
]$$, NULL, '{"team": "ops"}') AS wf \gset

SELECT is((tributary.get_workflow(:wf)) - 'steps' - 'created_at' - 'scheduled_at',
  jsonb_build_object('id', :wf, 'name', 'doc', 'state', 'running', 'metadata', '{"team": "ops"}'::jsonb,
                     'cancelled_at', NULL, 'finalized_at', NULL, 'parent_step_id', NULL,
                     'parent_workflow_id', NULL, 'children', '[]'::jsonb),
  'the workflow''s own keys: id, name, state, metadata, cancelled_at, finalized_at, and its links (none)');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(tributary.get_workflow(:wf) -> 'steps') AS k),
  ARRAY['a', 'b', 'c', 'd'], 'one entry per task name');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(tributary.get_workflow(:wf) -> 'steps' -> 'a') AS k),
  ARRAY['args', 'attempt', 'attempted_at', 'cancel_reason', 'depends_on', 'errors', 'finalized_at', 'id', 'kind',
        'map', 'map_index', 'map_step_id', 'max_attempts', 'queue', 'result', 'run_if', 'run_when', 'scheduled_at',
        'state', 'wait', 'wake_at', 'worker_id'],
  'each step keeps the v0.1.0 keys and gains depends_on, args, scheduled_at, attempted_at, worker_id, wait, wake_at, run_when, run_if, map, map_step_id, map_index');
SELECT is((SELECT jsonb_object_agg(k, v -> 'depends_on') FROM jsonb_each(tributary.get_workflow(:wf) -> 'steps') AS e(k, v)),
  '{"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}'::jsonb,
  'depends_on lists the task names each step waits for, so the graph can be rebuilt');
SELECT is(tributary.get_workflow(:wf) #> '{steps,a,args}', '{"n": 1}'::jsonb, 'args as given');
SELECT is(tributary.get_workflow(:wf) #> '{steps,b,args}',
  '{"tributary_sealed": 1, "kid": "ab12", "ct": "c2VhbGVk"}'::jsonb, 'a sealed envelope is returned as stored');
SELECT is(tributary.get_workflow(:wf) #> '{steps,c,args}', '{}'::jsonb, 'args omitted at creation are {}');
SELECT is(tributary.get_workflow(:wf) #>> '{steps,d,scheduled_at}', '2030-03-01T01:00:00+00:00',
  'scheduled_at of a delayed step');

SELECT tributary_test.advance('5 minutes');
SELECT tributary_test.claim(:wf, 'a', 'doc-worker');
SELECT is((tributary.get_workflow(:wf) #> '{steps,a}') - 'args' - 'depends_on' - 'id' - 'kind' - 'max_attempts' - 'queue' - 'scheduled_at' - 'wait' - 'wake_at',
  '{"state": "running", "attempt": 1, "attempted_at": "2030-03-01T00:05:00+00:00", "worker_id": "doc-worker",
    "result": null, "errors": [], "cancel_reason": null, "finalized_at": null,
    "run_when": "all_completed", "run_if": null, "map": null, "map_step_id": null, "map_index": null}'::jsonb,
  'a claimed step: running, attempt 1, claimed at the engine''s time by its worker; no branch option, not a map');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'a'), 1, '{"rows": 3}');
SELECT tributary_test.advance('1 minute');
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'c'), tributary_test.claim(:wf, 'c'),
  '{"message": "boom", "traceback": "Traceback ..."}', false);
SELECT is(tributary.get_workflow(:wf) #> '{steps,a,result}', '{"rows": 3}'::jsonb, 'the result of a completed step');
SELECT is(tributary.get_workflow(:wf) #>> '{steps,c,state}', 'discarded', 'a step failed without retry is discarded');
SELECT is((tributary.get_workflow(:wf) #> '{steps,c,errors,0}') - 'at' - 'worker_id' - 'attempt' - 'reason',
  '{"message": "boom", "retryable": false, "traceback": "Traceback ..."}'::jsonb, 'its error history keeps the traceback the worker sent');
SELECT is(tributary.get_workflow(:wf) #>> '{steps,d,cancel_reason}' IS NOT NULL, true,
  'a step downstream of the discarded one is cancelled, with a reason');

SELECT throws_ok('SELECT tributary.get_workflow(-1)', 'TB009', 'workflow -1 does not exist', 'TB009 for an unknown workflow');

SELECT * FROM finish();
ROLLBACK;
