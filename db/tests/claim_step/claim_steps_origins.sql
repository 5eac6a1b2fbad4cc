-- claim_steps says how each dependency's result was made (dependency_attempts): a worker's
-- attempt (an integer), a sleep, a wait (its event and key), a child workflow (its id and how each
-- leaf's result was made) or a map (how each element's result was made, in order); and gives an
-- element step of a map its map_element (map, over, index, size, origin of the mapped result).
BEGIN;
SELECT plan(11);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('origins', $$[
  {"name": "src", "kind": "k", "queue": "orq", "retry_backoff": "0 seconds"},
  {"name": "nap", "sleep": "1 minute"},
  {"name": "hook", "wait_for": {"event": "approved"}},
  {"name": "keyed", "wait_for": {"event": "paid", "key": "order-7", "timeout": "1 minute", "on_timeout": {"default": "late"}}},
  {"name": "par", "kind": "k", "queue": "orq"},
  {"name": "m", "kind": "k", "queue": "orq", "depends_on": ["src"], "map": {"over": "src"}},
  {"name": "end", "kind": "k", "queue": "orq", "depends_on": ["src", "nap", "hook", "keyed", "par", "m"]}
]$$) AS wf \gset

-- src fails its first attempt, completes its second with a two-element array.
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'src'), tributary_test.claim(:wf, 'src'), '{"message": "x"}', true) AS ignored \gset
SELECT tributary_test.advance('1 second');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'src'), tributary_test.claim(:wf, 'src'), '["a", "b"]') AS ignored \gset

CREATE TEMP TABLE elements ON COMMIT DROP AS SELECT * FROM tributary.claim_steps('orq', 'w', 10);
SELECT results_eq(
  $$SELECT task_name, map_element FROM elements WHERE task_name LIKE 'm[%' ORDER BY task_name$$,
  $$VALUES ('m[0]', '{"map": "m", "over": "src", "index": 0, "size": 2, "origin": 2}'::jsonb),
           ('m[1]', '{"map": "m", "over": "src", "index": 1, "size": 2, "origin": 2}'::jsonb)$$,
  'an element step gets its map, the dependency mapped over, its index, the size and the attempt that made the array');
SELECT is((SELECT map_element FROM elements WHERE task_name = 'par'), NULL, 'any other step gets a NULL map_element');
SELECT is((SELECT args FROM elements WHERE task_name = 'm[1]'), '{"element": "b"}'::jsonb, 'and its element in its args as before');

SELECT tributary.complete_step(tributary_test.step_id(:wf, 'm[0]'), 1, '"A"') AS ignored \gset
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'm[1]'), 1, '{"message": "x"}', true) AS ignored \gset
SELECT tributary_test.advance('1 second');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'm[1]'), tributary_test.claim(:wf, 'm[1]'), '"B"') AS ignored \gset

-- par spawns a child with a leaf that is itself a sleep and a leaf made by a worker.
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:wf, 'par'), 1, 'kid', $$[
  {"name": "x", "kind": "k", "queue": "orc"}, {"name": "y", "kind": "k", "queue": "orc", "depends_on": ["x"]},
  {"name": "z", "sleep": "1 minute"}
]$$) AS cw \gset
SELECT tributary_test.run(:cw, 'x', '1');
SELECT tributary_test.run(:cw, 'y', '2');

SELECT tributary.send_event('approved', '{"ok": true}', p_workflow_id => :wf) AS ignored \gset
SELECT tributary_test.advance('2 minutes');
SELECT is(tributary.wake_due_steps(), 3, 'the sleeps end and the keyed wait times out with its default');

CREATE TEMP TABLE end_claim ON COMMIT DROP AS SELECT * FROM tributary.claim_steps('orq', 'w');
SELECT is((SELECT task_name FROM end_claim), 'end', 'end is claimed once every dependency completed');
SELECT is((SELECT dependency_attempts -> 'src' FROM end_claim), '2'::jsonb, 'a worker''s result: the attempt that made it');
SELECT is((SELECT dependency_attempts -> 'nap' FROM end_claim), '{"made": "sleep"}'::jsonb, 'a sleep');
SELECT is((SELECT dependency_attempts -> 'hook' FROM end_claim), '{"made": "wait", "event": "approved", "key": null}'::jsonb,
  'a wait for an event sent to the workflow: its event, no key');
SELECT is((SELECT dependency_attempts -> 'keyed' FROM end_claim), '{"made": "wait", "event": "paid", "key": "order-7"}'::jsonb,
  'a keyed wait (here ended by its timeout default): its event and key');
SELECT is((SELECT dependency_attempts - 'src' - 'nap' - 'hook' - 'keyed' FROM end_claim),
  jsonb_build_object('par', jsonb_build_object('made', 'child', 'workflow_id', :cw,
                                               'leaves', '{"y": 1, "z": {"made": "sleep"}}'::jsonb),
                     'm', '{"made": "map", "elements": [1, 2]}'::jsonb),
  'a child: its id and how each leaf was made; a map: how each element was made, in order');

-- A completed child whose completion did not complete the step (the step finalized at another
-- time: completed by a worker after it stopped waiting) did not make its result.
SET LOCAL session_replication_role = replica;  -- past the guards on steps
UPDATE tributary.steps SET finalized_at = finalized_at + interval '1 second' WHERE id = tributary_test.step_id(:wf, 'par');
SET LOCAL session_replication_role = origin;
SELECT is(tributary._result_origin(tributary_test.step_id(:wf, 'par')), '1'::jsonb,
  'a step finalized apart from its completed child: its result is the attempt''s');

SELECT * FROM finish();
ROLLBACK;
