-- docs/sql-api.md as a reader runs it: every SQL example as shown, and the documented messages
-- and rules that no other file checks (the order of create_workflow's checks, what an idempotent
-- repeat checks, the first failing check of a batch, the errors of the limits, waits and
-- reserve_workflow_ids).
BEGIN;
SELECT plan(52);

SELECT tributary_test.set_now('2026-03-28 12:00:00+00');

-- create_workflow -------------------------------------------------------------------------------
SELECT lives_ok($$SELECT tributary.create_workflow(
  'nightly_etl',
  '[{"name": "extract",   "kind": "etl_extract",   "args": {"source": "orders.csv"}},
    {"name": "transform", "kind": "etl_transform", "depends_on": ["extract"], "timeout": "5 minutes"},
    {"name": "load",      "kind": "etl_load",      "depends_on": ["transform"], "max_attempts": 3}]',
  p_metadata => '{"requested_by": "cron"}',
  p_idempotency_key => 'nightly_etl/2026-11-25')$$, 'the create_workflow example runs');
SELECT results_eq($$SELECT s.task_name, s.state, s.timeout, s.max_attempts FROM tributary.steps AS s
  JOIN tributary.workflows AS w ON w.id = s.workflow_id WHERE w.idempotency_key = 'nightly_etl/2026-11-25' ORDER BY s.id$$,
  $$VALUES ('extract'::text, 'available'::text, NULL::interval, 5), ('transform', 'pending', '5 minutes', 5), ('load', 'pending', NULL, 3)$$,
  'its steps have the documented defaults and options');

-- The order of checks: each pair fails two checks, the earlier one is reported.
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "timeout": "banana", "depends_on": ["zz"]}]')$$,
  'TB002', 'task "a" depends on unknown task "zz"', 'check 5 (unknown dependency) before check 8 (option values)');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "depends_on": ["zz"]}, {"name": "b", "sleep": "-1 minute"}]')$$,
  'TB002', 'task "a" depends on unknown task "zz"', 'check 5 before check 6 (wait options)');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "run_when": "x"}, {"name": "b", "sleep": "-1 minute"}]')$$,
  'TB303', 'task "b" in workflow "w": "sleep" "-1 minute" is negative', 'check 6 (wait options) before check 7 (branches)');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "timeout": "banana", "run_when": "x"}]')$$,
  'TB321', 'task "a" in workflow "w": "run_when" must be "all_completed" or "any_completed", got "x"',
  'check 7 (branches) before check 8 (option values)');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "depends_on": ["b"]}, {"name": "b", "kind": "k", "depends_on": ["a"], "timeout": "banana"}]')$$,
  'TB005', 'task "b" in workflow "w": "timeout" is not a valid interval: banana', 'check 8 (option values) before check 9 (cycles)');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "depends_on": ["b"]}, {"name": "b", "kind": "k", "depends_on": ["a"]}]')$$,
  'TB001', 'dependency cycle at task "a"', 'check 9: a cycle');
-- An idempotent repeat runs checks 1 to 7, not 8 and 9.
SELECT is(tributary.create_workflow('nightly_etl', '[{"name": "a", "kind": "k", "depends_on": ["b"]}, {"name": "b", "kind": "k", "depends_on": ["a"], "timeout": "banana"}]',
                                    p_idempotency_key => 'nightly_etl/2026-11-25'),
  (SELECT id FROM tributary.workflows WHERE idempotency_key = 'nightly_etl/2026-11-25'),
  'a repeat with the key returns the existing id without checks 8 and 9');
SELECT throws_ok($$SELECT tributary.create_workflow('nightly_etl', '[{"name": "a", "kind": "k", "depends_on": ["zz"]}]', p_idempotency_key => 'nightly_etl/2026-11-25')$$,
  'TB002', 'task "a" depends on unknown task "zz"', 'a repeat with the key still runs check 5');

-- create_workflows ------------------------------------------------------------------------------
SELECT is(array_length(tributary.create_workflows('[
  {"name": "thumbnail", "tasks": [{"name": "resize", "kind": "resize", "args": {"id": 1}}]},
  {"name": "thumbnail", "tasks": [{"name": "resize", "kind": "resize", "args": {"id": 2}}],
   "idempotency_key": "thumbnail/2"}
]'), 1), 2, 'the create_workflows example returns two ids');
SELECT throws_ok($$SELECT tributary.create_workflows('[{"name": "w1", "tasks": [{"name": "a", "kind": "k", "depends_on": ["zz"]}]},
  {"name": "w2", "tasks": [{"name": "a", "kind": "k"}, {"name": "a", "kind": "k"}]}]')$$,
  'TB003', 'duplicate task name "a" in workflow "w2"', 'a batch reports the first failing check, wherever it fails');
SELECT lives_ok(format($$SET LOCAL ROLE %I; SELECT tributary.create_workflows('[{"name": "by submitter", "tasks": [{"name": "a", "kind": "k"}]}]'); RESET ROLE$$,
  (SELECT role_name FROM tributary.roles WHERE purpose = 'submitter')),
  'a submitter creates a batch with EXECUTE alone (no USAGE on the sequences)');

-- reserve_workflow_ids --------------------------------------------------------------------------
SELECT lives_ok($$SELECT tributary.create_workflows(format('[{"id": %s, "name": "w", "tasks": [{"name": "a", "kind": "k"}]}]',
                                         (tributary.reserve_workflow_ids(1))[1])::jsonb)$$, 'the reserve_workflow_ids example runs');
SELECT throws_ok($$SELECT tributary.reserve_workflow_ids(0)$$, 'TB012', 'count must be between 1 and 10000, got 0', 'TB012 for a count of 0');
SELECT throws_ok($$SELECT tributary.reserve_workflow_ids(NULL)$$, 'TB012', 'count must be between 1 and 10000, got NULL', 'TB012 for a NULL count');
SELECT throws_ok(format($$SELECT tributary.create_workflows('[{"id": %s, "name": "w", "tasks": [{"name": "a", "kind": "k"}]}]')$$,
                        (SELECT id FROM tributary.workflows WHERE idempotency_key = 'nightly_etl/2026-11-25')),
  'TB014', format('workflow "w": id %s is taken by an existing workflow', (SELECT id FROM tributary.workflows WHERE idempotency_key = 'nightly_etl/2026-11-25')),
  'TB014 for an id taken by an existing workflow');

-- Map steps and branches ------------------------------------------------------------------------
SELECT lives_ok($x$SELECT tributary.create_workflow('crawl', $$[
  {"name": "list_pages", "kind": "list"},
  {"name": "fetch", "kind": "fetch", "depends_on": ["list_pages"], "args": {"site": "example.com"},
   "map": {"over": "list_pages", "path": "pages"}},
  {"name": "report", "kind": "report", "depends_on": ["fetch"]},
  {"name": "alert", "kind": "alert", "depends_on": ["report"], "run_if": {"report": {"broken": true}}},
  {"name": "done", "kind": "done", "depends_on": ["alert", "report"], "run_when": "any_completed"}
]$$)$x$, 'the map and branches example runs');

-- Creating a workflow with plain INSERTs (the example, resolved by SET CONSTRAINTS instead of COMMIT)
SELECT lives_ok($$WITH w AS (
  INSERT INTO tributary.workflows (name, metadata)
  VALUES ('diamond', '{"source": "sql"}')
  RETURNING id
)
INSERT INTO tributary.steps (workflow_id, task_name, kind, args, depends_on, queue)
SELECT w.id, t.task_name, t.kind, t.args, t.depends_on, 'default'
FROM w, (VALUES ('a', 'fetch',   '{"url": "https://example.com"}'::jsonb, '{}'::text[]),
                ('b', 'parse',   '{}', '{a}'),
                ('c', 'index',   '{}', '{a}'),
                ('d', 'publish', '{}', '{b,c}')) AS t(task_name, kind, args, depends_on)$$, 'the direct-INSERT example runs');
SELECT max(id) AS dwf FROM tributary.workflows WHERE name = 'diamond' \gset
SELECT throws_ok(format($$INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'a', 'k')$$, :dwf),
  'TB003', format('duplicate task name "a" in workflow %s', :dwf), 'TB003 at the INSERT of a repeated task name');
SELECT throws_ok(format($$SELECT tributary.cancel_workflow(%s)$$, :dwf),
  'TB011', format('workflow %s is not resolved yet: it was inserted directly in this transaction', :dwf), 'TB011 for cancel_workflow before COMMIT');
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
SELECT results_eq(format($$SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s ORDER BY id$$, :dwf),
  $$VALUES ('a'::text, 'available'::text), ('b', 'pending'), ('c', 'pending'), ('d', 'pending')$$, 'the diamond is resolved');
SELECT throws_ok(format($$INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'e', 'k')$$, :dwf),
  'TB010', format('workflow %s is already resolved: task "e" cannot be added to it', :dwf), 'TB010 once it is resolved');
SELECT throws_ok($$INSERT INTO tributary.workflows (name) VALUES ('empty'); SET CONSTRAINTS ALL IMMEDIATE$$,
  'TB004', NULL, 'TB004 for a directly inserted workflow without steps');
SET CONSTRAINTS ALL DEFERRED;

-- claim_step and fail_step ----------------------------------------------------------------------
SELECT tributary.create_workflow('docs-fail', '[{"name": "a", "kind": "k", "queue": "docs_q", "max_attempts": 3}]') AS fwf \gset
SELECT is((SELECT count(*)::int FROM (SELECT step_id, attempt, kind, args, dependency_results
  FROM tributary.claim_step('docs_q', 'psql-worker-1', 10)) AS c), 1, 'the claim_step example claims');
SELECT tributary_test.step_id(:fwf, 'a') AS fstep \gset
SELECT is(tributary.fail_step(:fstep, 1, '{"message": "upstream returned 503"}'), 'available', 'the first fail_step example: retried');
SELECT tributary_test.advance('1 hour');
SELECT is((SELECT attempt FROM tributary.claim_step('docs_q', 'psql-worker-1')), 2, 'claimed again');
SELECT is(tributary.fail_step(:fstep, 2, '"bad input"', p_retryable => false), 'discarded', 'the second: discarded');
SELECT is((SELECT errors -> 1 ->> 'message' FROM tributary.steps WHERE id = :fstep), 'bad input',
  'a JSON string error is stored as {"message": <its text>}');

-- Paused queues ---------------------------------------------------------------------------------
SELECT is(tributary.pause_queue('emails'), true, 'pause_queue example: true');
SELECT results_eq($$SELECT queue, ready, paused FROM tributary.queue_depths WHERE queue = 'emails'$$,
  $$VALUES ('emails'::text, 0::bigint, true)$$, 'a paused queue has a queue_depths row');
SELECT is(tributary.resume_queue('emails'), true, 'resume_queue example: true');

-- Concurrency and rate limits -------------------------------------------------------------------
SELECT lives_ok($$SELECT tributary.set_concurrency_limit('queue', 'emails', 10);
  SELECT tributary.set_concurrency_limit('key', 'customer:42', 2);
  SELECT tributary.set_rate_limit('key', 'api:github', 5000, '1 hour')$$, 'the limits example runs');
SELECT results_eq($$SELECT scope, name, max_running, rate_max_starts, tokens FROM tributary.flow_limit_status ORDER BY scope, name$$,
  $$VALUES ('key'::text, 'api:github'::text, NULL::integer, 5000, 5000::double precision), ('key', 'customer:42', 2, NULL, NULL), ('queue', 'emails', 10, NULL, NULL)$$,
  'flow_limit_status shows them');
SELECT is(tributary.remove_concurrency_limit('queue', 'emails'), true, 'remove_concurrency_limit example: true');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit('queue', 'emails', 0)$$, 'TB220',
  'a concurrency limit must be at least 1, got 0 for queue ''emails''', 'TB220 as documented');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit('tenant', 'emails', 1)$$, 'TB221',
  'a limit applies to a ''queue'' or a ''key'', got ''tenant''', 'TB221 as documented');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit('key', '', 1)$$, 'TB222',
  'a key limit needs a concurrency key of 1 to 255 characters, got ''''', 'TB222 as documented');
SELECT throws_ok($$SELECT tributary.set_rate_limit('queue', 'emails', 0, '1 minute')$$, 'TB223',
  'a rate limit allows at least 1 start per period, got 0 for queue ''emails''', 'TB223 as documented');
SELECT throws_ok($$SELECT tributary.set_rate_limit('queue', 'emails', 1, '0')$$, 'TB224',
  'a rate limit''s period must be over zero and at most a year, got 00:00:00 for queue ''emails''', 'TB224 as documented');

-- Schedules -------------------------------------------------------------------------------------
SELECT is(tributary.cron_next('30 2 * * *', 'Europe/Paris', '2026-03-28 12:00+00'), '2026-03-29 01:00:00+00'::timestamptz,
  'the cron_next example gives the documented instant');
SELECT is(tributary.cron_next('0 0 30 2 *'), NULL, 'cron_next of an expression that never fires is NULL');

-- Events ----------------------------------------------------------------------------------------
SELECT tributary.create_workflow('docs-wait', '[{"name": "approval", "wait_for": {"event": "approved"}},
  {"name": "payment", "wait_for": {"event": "paid", "key": "order:42"}}]') AS ewf \gset
SELECT is(tributary.send_event('approved', '{"by": "ana"}', p_workflow_id => :ewf), tributary_test.step_id(:ewf, 'approval'),
  'send_event to a workflow (the example) completes its wait');
SELECT is(tributary.send_event('paid', '{"amount": 12}', p_key => 'order:42'), tributary_test.step_id(:ewf, 'payment'),
  'send_event by key (the example) completes the keyed wait');
SELECT throws_ok($$SELECT tributary.send_event('', NULL, p_key => 'k')$$, 'TB302', 'an event needs a name of 1 to 255 characters',
  'TB302 for an empty event name');
SELECT throws_ok($$SELECT tributary.send_event('x')$$, 'TB302', 'event "x" needs exactly one address: p_workflow_id or p_key',
  'TB302 without an address');
SELECT throws_ok(format($$SELECT tributary.send_event('x', NULL, p_workflow_id => %s)$$, :ewf), 'TB301',
  format('event "x" for workflow %s: the workflow is completed and waits for nothing', :ewf), 'TB301 for a finished workflow');

-- get_workflow: the keys of the documented example, no more, no fewer.
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(tributary.get_workflow(:fwf)) AS k),
  ARRAY['cancelled_at', 'children', 'created_at', 'finalized_at', 'id', 'metadata', 'name', 'parent_step_id',
        'parent_workflow_id', 'scheduled_at', 'state', 'steps'], 'get_workflow: the workflow keys of the example');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(tributary.get_workflow(:fwf) -> 'steps' -> 'a') AS k),
  ARRAY['args', 'attempt', 'attempted_at', 'cancel_reason', 'depends_on', 'errors', 'finalized_at', 'id', 'kind', 'map',
        'map_index', 'map_step_id', 'max_attempts', 'queue', 'result', 'run_if', 'run_when', 'scheduled_at', 'state',
        'wait', 'wake_at', 'worker_id'], 'get_workflow: the step keys of the example');

-- complete_steps_and_claim: the example's shape, with the ids of a real extract -> load pair.
SELECT tributary.create_workflow('cac', '[{"name": "extract", "kind": "k", "queue": "cac"},
  {"name": "load", "kind": "k", "queue": "cac", "depends_on": ["extract"]}]') AS cacwf \gset
SELECT step_id AS cac41 FROM tributary.claim_step('cac', 'worker-1') \gset
SELECT results_eq(format($$SELECT outcome, step_id, task_name FROM tributary.complete_steps_and_claim(
    ARRAY[%s]::bigint[], '{1}', ARRAY['{"rows": 10}']::jsonb[], 'worker-1', '{cac}', '{4}')$$, :cac41),
  format($$VALUES ('completed'::text, %s::bigint, NULL::text), (NULL, %s, 'load')$$, :cac41, tributary_test.step_id(:cacwf, 'load')),
  'complete_steps_and_claim: the outcome row, then the claimed dependent, as in the example');

-- complete_steps_and_start: the example's shape, with the id of a real step; the started workflow's step is claimed.
SELECT tributary.create_workflow('cas', '[{"name": "receive", "kind": "k", "queue": "cas"}]') AS caswf \gset
SELECT step_id AS cas51 FROM tributary.claim_step('cas', 'worker-1') \gset
SELECT results_eq(format($$SELECT outcome, step_id = %s, task_name FROM tributary.complete_steps_and_start(
    ARRAY[%s]::bigint[], '{1}', ARRAY['{"files": 1}']::jsonb[],
    ARRAY['[{"name": "convert", "tasks": [{"name": "convert", "kind": "convert", "queue": "cas", "args": {"file": "a.docx"}}]}]']::jsonb[],
    'worker-1', '{cas}', '{4}')$$, :cas51, :cas51),
  $$VALUES ('completed'::text, true, NULL::text), (NULL, false, 'convert')$$,
  'complete_steps_and_start: the outcome row, then the started workflow''s claimed step, as in the example');

-- Views ------------------------------------------------------------------------------------------
SELECT is((SELECT count FROM tributary.workflow_counts WHERE state = 'completed'),
  (SELECT count(*) FROM tributary.workflows WHERE state = 'completed'), 'workflow_counts: one row per state with its count');

SELECT * FROM finish();
ROLLBACK;
