-- complete_steps_and_start: a step's workflows are created if and only if it completes in the
-- call, in its transaction, and claimed by the same call; a workflow that cannot be created fails
-- its own step's attempt and no other; bad arguments (TB012) complete nothing; starting needs the
-- submitter role as well as the worker role.
BEGIN;
SELECT plan(32);

SELECT role_name AS worker FROM tributary.roles WHERE purpose = 'worker' \gset
SELECT role_name AS submitter FROM tributary.roles WHERE purpose = 'submitter' \gset

SELECT tributary.create_workflow('parent', '[
  {"name": "a", "kind": "k", "queue": "cs"},
  {"name": "b", "kind": "k", "queue": "cs"},
  {"name": "c", "kind": "k", "queue": "cs"}
]') AS wf \gset
SELECT id AS a FROM tributary.steps WHERE workflow_id = :wf AND task_name = 'a' \gset
SELECT id AS b FROM tributary.steps WHERE workflow_id = :wf AND task_name = 'b' \gset
SELECT id AS c FROM tributary.steps WHERE workflow_id = :wf AND task_name = 'c' \gset
SELECT count(*) FROM tributary.claim_step('cs', 'w1', 3);

-- a starts two workflows (one on queue cs2, claimed by the call); b starts nothing; c is stale.
CREATE TEMP TABLE cs_rows ON COMMIT DROP AS
SELECT row_number() OVER () AS n, r.*
FROM tributary.complete_steps_and_start(
  ARRAY[:a, :b, :c]::bigint[], '{1, 1, 2}', ARRAY['"A"', '"B"', '"C"']::jsonb[],
  ARRAY['[{"name": "next", "tasks": [{"name": "n1", "kind": "k", "queue": "cs2"}, {"name": "n2", "kind": "k", "queue": "cs2", "depends_on": ["n1"]}]},
          {"name": "later", "tasks": [{"name": "l", "kind": "k", "queue": "cs3"}], "idempotency_key": "cs-later", "metadata": {"by": "a"}}]',
        NULL,
        '[{"name": "from_stale", "tasks": [{"name": "s", "kind": "k", "queue": "cs2"}]}]']::jsonb[],
  'w1', '{cs2}', '{5}') AS r;
SELECT results_eq(
  $$SELECT outcome, step_id FROM cs_rows WHERE outcome IS NOT NULL ORDER BY n$$,
  format($$VALUES ('completed', %s::bigint), ('completed', %s::bigint), ('stale', %s::bigint)$$, :a, :b, :c),
  'one outcome per step, in input order, as complete_steps reports them');
SELECT results_eq(
  $$SELECT w.name, w.metadata, w.idempotency_key FROM tributary.workflows AS w WHERE w.name IN ('next', 'later', 'from_stale') ORDER BY w.id$$,
  $$VALUES ('next', '{}'::jsonb, NULL::text), ('later', '{"by": "a"}'::jsonb, 'cs-later')$$,
  'the completed step''s two workflows exist, in order, with their options; the stale step started nothing');
SELECT results_eq(
  $$SELECT task_name, queue, attempt FROM cs_rows WHERE outcome IS NULL ORDER BY n$$,
  $$VALUES ('n1', 'cs2', 1)$$,
  'the claim of the same call took the started workflow''s first step');
SELECT results_eq(
  $$SELECT s.task_name, s.state FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id
    WHERE w.name IN ('next', 'later') ORDER BY s.id$$,
  $$VALUES ('n1', 'running'), ('n2', 'pending'), ('l', 'available')$$,
  'the started workflows'' steps are in the states create_workflow gives them');
SELECT is((SELECT max(n) FILTER (WHERE outcome IS NOT NULL) < min(n) FILTER (WHERE outcome IS NULL) FROM cs_rows), true,
  'the outcome rows come before the claimed steps');

-- Claims only where the call made steps claimable: a listed queue with an older available step
-- and nothing new is not claimed; a started task without a queue is claimed on the engine's
-- default queue, a started task that waits is not.
SELECT tributary.create_workflow('older', '[{"name": "o", "kind": "k", "queue": "cs-idle"}]') AS wfo \gset
SELECT tributary.create_workflow('starter', '[{"name": "s", "kind": "k", "queue": "cs-s"}]') AS wfs \gset
SELECT step_id AS s FROM tributary.claim_step('cs-s', 'w1') \gset
SELECT results_eq(
  format($$SELECT task_name, queue FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}',
    ARRAY['[{"name": "plain", "tasks": [{"name": "p", "kind": "k"}, {"name": "w", "wait_for": {"event": "go"}}]}]']::jsonb[],
    'w1', ARRAY['cs-idle', (SELECT default_queue FROM tributary.settings)], '{5, 5}') WHERE outcome IS NULL$$, :s),
  $$SELECT 'p'::text, default_queue FROM tributary.settings$$,
  'the started step on the default queue is claimed; the idle queue and the waiting step are not');
SELECT is((SELECT state FROM tributary.steps WHERE workflow_id = :wfo), 'available', 'the older step stays available');

-- A repeated call (a report retried after a lost reply) starts nothing again.
SELECT results_eq(
  format($$SELECT outcome FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{"\"A\""}',
    ARRAY['[{"name": "next", "tasks": [{"name": "n1", "kind": "k"}]}]']::jsonb[], 'w1', '{}', '{}')$$, :a),
  $$VALUES ('already_completed')$$,
  'a repeated completion: already_completed');
SELECT is((SELECT count(*)::integer FROM tributary.workflows WHERE name = 'next'), 1, 'and no second workflow');

-- An idempotency key already taken: the existing workflow stands for it.
SELECT tributary.create_workflow('keyed', '[{"name": "d", "kind": "k", "queue": "cs4"}]') AS wf2 \gset
SELECT step_id AS d FROM tributary.claim_step('cs4', 'w1') \gset
SELECT results_eq(
  format($$SELECT outcome FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}',
    ARRAY['[{"name": "later-again", "tasks": [{"name": "l", "kind": "k"}], "idempotency_key": "cs-later"}]']::jsonb[], 'w1', '{}', '{}')$$, :d),
  $$VALUES ('completed')$$,
  'a workflow whose idempotency key is taken: the step completes');
SELECT is((SELECT count(*)::integer FROM tributary.workflows WHERE idempotency_key = 'cs-later'), 1,
  'and the key''s workflow is not created twice');

-- One step's invalid workflow fails that step's attempt; its neighbour completes and starts its own.
SELECT tributary.create_workflow('mixed', '[
  {"name": "good", "kind": "k", "queue": "cs5"},
  {"name": "bad", "kind": "k", "queue": "cs5", "max_attempts": 2}
]') AS wf3 \gset
SELECT id AS good FROM tributary.steps WHERE workflow_id = :wf3 AND task_name = 'good' \gset
SELECT id AS bad FROM tributary.steps WHERE workflow_id = :wf3 AND task_name = 'bad' \gset
SELECT count(*) FROM tributary.claim_step('cs5', 'w1', 2);
SELECT results_eq(
  format($$SELECT outcome, step_id FROM tributary.complete_steps_and_start(ARRAY[%s, %s]::bigint[], '{1, 1}', '{"1", "2"}',
    ARRAY['[{"name": "fine", "tasks": [{"name": "f", "kind": "k"}]}]',
          '[{"name": "ok", "tasks": [{"name": "o", "kind": "k"}]}, {"name": "broken", "tasks": [{"name": "x", "kind": "k", "depends_on": ["nope"]}]}]']::jsonb[],
    'w1', '{}', '{}')$$, :good, :bad),
  format($$VALUES ('completed', %s::bigint), ('failed', %s::bigint)$$, :good, :bad),
  'the step whose workflow cannot be created: failed; its neighbour: completed');
SELECT results_eq(
  $$SELECT name FROM tributary.workflows WHERE name IN ('fine', 'ok', 'broken') ORDER BY id$$,
  $$VALUES ('fine')$$,
  'the neighbour''s workflow exists; nothing the failed step would start does (not even its valid one)');
SELECT results_eq(
  format($$SELECT state, result, errors -> 0 ->> 'sqlstate', errors -> 0 ->> 'reason', errors -> 0 ->> 'message'
           FROM tributary.steps WHERE id = %s$$, :bad),
  $$VALUES ('available', NULL::jsonb, 'TB002', 'start_workflows',
            'a workflow this step starts cannot be created: task "x" depends on unknown task "nope"')$$,
  'the failed step''s attempt failed as fail_step records it (retryable), with the engine''s error, its SQLSTATE and the reason');
SELECT is((SELECT state FROM tributary.steps WHERE id = :good), 'completed', 'the neighbour is completed');

-- Alone in its call, the same: the step fails, the call does not raise.
SELECT tributary.create_workflow('alone', '[{"name": "e", "kind": "k", "queue": "cs6", "max_attempts": 1}]') AS wf4 \gset
SELECT step_id AS e FROM tributary.claim_step('cs6', 'w1') \gset
SELECT results_eq(
  format($$SELECT outcome FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}',
    ARRAY['[{"name": "empty", "tasks": []}]']::jsonb[], 'w1', '{cs6}', '{1}')$$, :e),
  $$VALUES ('failed')$$,
  'a single step whose workflow cannot be created: failed, not an error of the call');
SELECT is((SELECT state FROM tributary.steps WHERE id = :e), 'discarded', 'with no attempt left: discarded');

-- Bad arguments: TB012, before anything is completed.
SELECT tributary.create_workflow('args', '[{"name": "g", "kind": "k", "queue": "cs7"}]') AS wf5 \gset
SELECT step_id AS g FROM tributary.claim_step('cs7', 'w1') \gset
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}', '{}', 'w1', '{}', '{}')$$, :g),
  'TB012', 'step ids, attempts, results and workflows to start must have the same length',
  'workflows to start of another length: TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}',
    ARRAY['{"name": "not in an array"}']::jsonb[], 'w1', '{}', '{}')$$, :g),
  'TB012', 'workflows to start must be a JSON array of workflows or NULL, got object at position 1',
  'an element that is not an array: TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}', '{null}', 'w1', '{cs7}', '{0}')$$, :g),
  'TB012', 'max_steps must be at least 1, got 0',
  'bad claims: TB012 as complete_steps_and_claim');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_start('[0:0]={%s}'::bigint[], '[0:0]={1}', '[0:0]={null}', '[0:0]={null}', 'w1', '{}', '{}')$$, :g),
  'TB012', 'step ids, attempts, results and workflows to start must be one-dimensional arrays starting at 1',
  'arrays that do not start at 1: TB012 (each step would start another''s workflows)');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}', ARRAY[['[]']]::jsonb[], 'w1', '{}', '{}')$$, :g),
  'TB012', 'step ids, attempts, results and workflows to start must be one-dimensional arrays starting at 1',
  'a two-dimensional array: TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_start(ARRAY[%s, %s]::bigint[], '{1, 1}', '{null, null}', '{null, null}', 'w1', '{}', '{}')$$, :g, :g),
  'TB012', 'a step''s attempt must not be listed twice',
  'a step''s attempt listed twice: TB012 (both would report completed and start twice)');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{null}', '{null}', '{null}', 'w1', '{}', '{}')$$, :g),
  'TB012', 'step ids and attempts must not contain NULL',
  'a NULL attempt: TB012');
SELECT is((SELECT state FROM tributary.steps WHERE id = :g), 'running', 'none of them completed the step');
SELECT results_eq(
  format($$SELECT outcome FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}', NULL, 'w1', '{}', '{}')$$, :g),
  $$VALUES ('completed')$$,
  'a NULL p_workflows_to_start starts nothing: the step completes');

-- Privileges: a worker that may not create workflows cannot start them; with the submitter role it can.
CREATE ROLE cs_worker_only NOLOGIN;
CREATE ROLE cs_worker_submitter NOLOGIN;
SELECT format('GRANT %I TO cs_worker_only', :'worker') \gexec
SELECT format('GRANT %I, %I TO cs_worker_submitter', :'worker', :'submitter') \gexec
SELECT tributary.create_workflow('roles', '[{"name": "h", "kind": "k", "queue": "cs8"}, {"name": "i", "kind": "k", "queue": "cs8"}]') AS wf6 \gset
SELECT id AS h FROM tributary.steps WHERE workflow_id = :wf6 AND task_name = 'h' \gset
SELECT id AS i FROM tributary.steps WHERE workflow_id = :wf6 AND task_name = 'i' \gset
SELECT count(*) FROM tributary.claim_step('cs8', 'w1', 2);
SET LOCAL ROLE cs_worker_only;
SELECT results_eq(
  format($$SELECT outcome FROM tributary.complete_steps_and_start(ARRAY[%s, %s]::bigint[], '{1, 1}', '{null, null}',
    ARRAY['[{"name": "by worker", "tasks": [{"name": "w", "kind": "k"}]}]', NULL]::jsonb[], 'w1', '{}', '{}')$$, :h, :i),
  $$VALUES ('failed'), ('completed')$$,
  'a worker without the submitter role: the step that would start a workflow fails, the other completes');
RESET ROLE;
SELECT results_eq(
  format($$SELECT errors -> 0 ->> 'sqlstate', errors -> 0 ->> 'message' FROM tributary.steps WHERE id = %s$$, :h),
  $$VALUES ('42501', 'a workflow this step starts cannot be created: starting workflows needs the right to create them (the submitter role)')$$,
  'its error says why (42501)');
SELECT is((SELECT count(*)::integer FROM tributary.workflows WHERE name = 'by worker'), 0, 'and nothing was created');
SELECT tributary.create_workflow('roles2', '[{"name": "j", "kind": "k", "queue": "cs9"}]') AS wf7 \gset
SELECT step_id AS j FROM tributary.claim_step('cs9', 'w1') \gset
SET LOCAL ROLE cs_worker_submitter;
SELECT results_eq(
  format($$SELECT outcome FROM tributary.complete_steps_and_start(ARRAY[%s]::bigint[], '{1}', '{null}',
    ARRAY['[{"name": "by worker", "tasks": [{"name": "w", "kind": "k"}]}]']::jsonb[], 'w1', '{}', '{}')$$, :j),
  $$VALUES ('completed')$$,
  'with the submitter role too, the same call completes and starts');
RESET ROLE;
SELECT is((SELECT count(*)::integer FROM tributary.workflows WHERE name = 'by worker'), 1, 'the workflow exists');
SELECT is(has_function_privilege(:'submitter', 'tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[])', 'execute'),
  false, 'a submitter alone may not call it (it completes steps)');

SELECT * FROM finish();
ROLLBACK;
