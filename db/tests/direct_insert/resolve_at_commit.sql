-- A workflow and its steps inserted with plain INSERTs are resolved when the transaction commits
-- (here: at SET CONSTRAINTS ALL IMMEDIATE, which fires the deferred trigger) exactly as
-- create_workflow resolves them: edges, remaining_deps, available roots, counters. Until then the
-- workflow is unresolved. Engine columns the caller sets are reset; no step runs before its
-- workflow's scheduled_at.
BEGIN;
SELECT plan(20);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

-- The diamond, inserted dependents first, one statement per step.
INSERT INTO tributary.workflows (name) VALUES ('direct-diamond') RETURNING id AS wf \gset
INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on) VALUES (:wf, 'd', 'noop', '{b,c}');
INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on) VALUES (:wf, 'b', 'noop', '{a}');
INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on) VALUES (:wf, 'c', 'noop', '{a}');
INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (:wf, 'a', 'noop');

SELECT results_eq(
  format('SELECT state, steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('running', NULL::integer, NULL::integer)$$,
  'before COMMIT the workflow is unresolved (no counters)');
SELECT results_eq(
  format('SELECT DISTINCT state, remaining_deps FROM tributary.steps WHERE workflow_id = %s', :wf),
  $$VALUES ('pending', NULL::integer)$$,
  'before COMMIT every step is pending with remaining_deps NULL (none is claimable)');
SELECT is(
  (SELECT count(*) FROM tributary.step_dependencies AS e JOIN tributary.steps AS s ON s.id = e.step_id WHERE s.workflow_id = :wf),
  0::bigint,
  'before COMMIT there is no edge');

SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'the graph resolves when the deferred trigger fires');
SET CONSTRAINTS ALL DEFERRED;

SELECT tributary_test.diamond() AS ref \gset
SELECT results_eq(
  format('SELECT task_name, depends_on, state, remaining_deps, attempt FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wf),
  format('SELECT task_name, depends_on, state, remaining_deps, attempt FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :ref),
  'the steps end as create_workflow''s diamond: a available, b and c pending on 1, d pending on 2');
SELECT results_eq(
  format($$SELECT s.task_name, p.task_name FROM tributary.step_dependencies AS e
           JOIN tributary.steps AS s ON s.id = e.step_id JOIN tributary.steps AS p ON p.id = e.depends_on_step_id
           WHERE s.workflow_id = %s ORDER BY 1, 2$$, :wf),
  $$VALUES ('b', 'a'), ('c', 'a'), ('d', 'b'), ('d', 'c')$$,
  'the edges are those of the diamond');
SELECT results_eq(
  format('SELECT state, steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES ('running', 4, 4)$$,
  'the counters are set: steps_total = steps_unfinished = 4');
SELECT is(
  (SELECT step_id FROM tributary.claim_step('default', 'w', 10) AS c WHERE c.workflow_id = :wf),
  tributary_test.step_id(:wf, 'a'),
  'after resolution the root a is claimable, and only it');

-- Several workflows in one transaction, one multi-row INSERT each, sharing task names; repeated
-- dependency names count once.
SELECT tributary_test.insert_workflow('direct-1', '[{"name": "x"}, {"name": "y", "depends_on": ["x", "x"]}]') AS w1 \gset
SELECT tributary_test.insert_workflow('direct-2', '[{"name": "y"}, {"name": "x", "depends_on": ["y"]}, {"name": "z", "depends_on": ["x", "y"]}]') AS w2 \gset
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
SELECT results_eq(
  format('SELECT workflow_id, task_name, state, remaining_deps FROM tributary.steps WHERE workflow_id IN (%s, %s) ORDER BY workflow_id, task_name', :w1, :w2),
  format($$VALUES (%1$s::bigint, 'x', 'available', 0), (%1$s, 'y', 'pending', 1),
                  (%2$s::bigint, 'x', 'pending', 1), (%2$s, 'y', 'available', 0), (%2$s, 'z', 'pending', 2)$$, :w1, :w2),
  'two workflows inserted in one transaction are resolved each on its own');
SELECT is(
  (SELECT count(*) FROM tributary.step_dependencies AS e
   JOIN tributary.steps AS s ON s.id = e.step_id JOIN tributary.steps AS p ON p.id = e.depends_on_step_id
   WHERE s.workflow_id IN (:w1, :w2) AND s.workflow_id = p.workflow_id),
  4::bigint,
  'their edges stay within each workflow (y -> x once; x -> y, z -> x, z -> y)');
SELECT results_eq(
  format('SELECT steps_total, steps_unfinished FROM tributary.workflows WHERE id IN (%s, %s) ORDER BY id', :w1, :w2),
  $$VALUES (2, 2), (3, 3)$$,
  'each has its own counters');

-- One statement inserting the workflow and its steps (a data-modifying CTE) works the same.
WITH w AS (INSERT INTO tributary.workflows (name) VALUES ('direct-cte') RETURNING id)
INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on)
SELECT w.id, t.name, 'noop', t.deps FROM w, (VALUES ('p', '{}'::text[]), ('q', '{p}')) AS t(name, deps);
SELECT max(id) AS wcte FROM tributary.workflows WHERE name = 'direct-cte' \gset
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
SELECT results_eq(
  format('SELECT task_name, state, remaining_deps FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name', :wcte),
  $$VALUES ('p', 'available', 0), ('q', 'pending', 1)$$,
  'a workflow and its steps inserted by one statement resolve the same way');

-- Engine columns given by the caller are reset; options are kept.
INSERT INTO tributary.workflows (name, scheduled_at) VALUES ('direct-columns', '2030-01-02 00:00:00+00') RETURNING id AS wc \gset
INSERT INTO tributary.steps (workflow_id, task_name, kind, queue, priority, max_attempts, timeout, retry_backoff, args,
                             state, attempt, result, errors, worker_id, attempted_at, lease_expires_at, deadline_at,
                             cancel_reason, finalized_at, scheduled_at)
VALUES (:wc, 'forged', 'k', 'q1', 5, 3, '1 minute', '4 seconds', '{"a": 1}',
        'completed', 3, '{"stolen": true}', '[{"message": "old"}]', 'intruder', '2029-12-31', '2031-01-01', '2031-01-01',
        'because', '2029-12-31', '2029-12-31');
SELECT results_eq(
  format($$SELECT state, attempt, result, errors, worker_id, attempted_at, lease_expires_at, deadline_at, cancel_reason, finalized_at
           FROM tributary.steps WHERE workflow_id = %s$$, :wc),
  $$VALUES ('pending', 0, NULL::jsonb, '[]'::jsonb, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::text, NULL::timestamptz)$$,
  'state, attempt, result, errors, worker, lease, deadline, cancel reason and final time given by the caller are reset');
SELECT results_eq(
  format('SELECT queue, priority, max_attempts, timeout, retry_backoff, args FROM tributary.steps WHERE workflow_id = %s', :wc),
  $$VALUES ('q1', 5, 3, interval '1 minute', interval '4 seconds', '{"a": 1}'::jsonb)$$,
  'the options given by the caller are kept');

-- Step scheduled_at is never earlier than the workflow's.
INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (:wc, 'default-time', 'k');
INSERT INTO tributary.steps (workflow_id, task_name, kind, scheduled_at) VALUES (:wc, 'later', 'k', '2030-01-05 00:00:00+00');
SELECT results_eq(
  format('SELECT task_name, scheduled_at FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :wc),
  $$VALUES ('forged', timestamptz '2030-01-02 00:00:00+00'), ('default-time', timestamptz '2030-01-02 00:00:00+00'),
           ('later', timestamptz '2030-01-05 00:00:00+00')$$,
  'a step time before the workflow''s scheduled_at (given or default now) is raised to it; a later one is kept');
SET CONSTRAINTS ALL IMMEDIATE;
SET CONSTRAINTS ALL DEFERRED;
SELECT results_eq(
  format('SELECT DISTINCT state, remaining_deps FROM tributary.steps WHERE workflow_id = %s', :wc),
  $$VALUES ('available', 0)$$,
  'the forged step resolves like any root: available, not completed');
SELECT is(
  (SELECT count(*) FROM tributary.claim_step('q1', 'w', 10)),
  0::bigint,
  'it is not claimable before the workflow''s scheduled_at');
SELECT tributary_test.set_now('2030-01-02 00:00:00+00');
SELECT is(
  (SELECT array_agg(task_name) FROM tributary.claim_step('q1', 'w', 10)),
  ARRAY['forged'],
  'it is claimable from the workflow''s scheduled_at on');

-- Resolution happens once: firing the deferred triggers again changes nothing.
SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'firing the deferred triggers again raises nothing');
SET CONSTRAINTS ALL DEFERRED;
SELECT results_eq(
  format('SELECT steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s', :wf),
  $$VALUES (4, 4)$$,
  'and leaves the resolved counters as they were');

SELECT * FROM finish();
ROLLBACK;
