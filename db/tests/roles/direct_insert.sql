-- The direct-INSERT path for a submitter, who may INSERT only the columns a caller sets: options
-- left out come from the settings (no column default calls an internal function), the graph is
-- resolved as the owner at COMMIT, and tributary.creating_workflow has no effect for the role.
BEGIN;
SELECT plan(8);

SELECT role_name AS submitter FROM tributary.roles WHERE purpose = 'submitter' \gset
UPDATE tributary.settings SET default_queue = 'from_settings', default_max_attempts = 7;

SELECT lives_ok(format($$SET LOCAL ROLE %I;
  WITH w AS (INSERT INTO tributary.workflows (name) VALUES ('direct by submitter') RETURNING id)
  INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on)
  SELECT w.id, t.n, 'k', t.d FROM w, (VALUES ('a', '{}'::text[]), ('b', '{a}')) AS t(n, d);
  SET CONSTRAINTS ALL IMMEDIATE;
  RESET ROLE$$, :'submitter'),
  'a submitter inserts a workflow and its steps directly and the graph resolves');
SELECT results_eq(
  $$SELECT s.task_name, s.state, s.queue, s.max_attempts, w.steps_total
    FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id
    WHERE w.name = 'direct by submitter' ORDER BY s.task_name$$,
  $$VALUES ('a', 'available', 'from_settings', 7, 2), ('b', 'pending', 'from_settings', 7, 2)$$,
  'its steps took the omitted options from the settings and were resolved');

-- Setting tributary.creating_workflow does not skip the checks for a role that is not the owner.
SELECT tributary.create_workflow('resolved', '[{"name": "a", "kind": "k"}]') AS wf \gset
SELECT throws_ok(format($$SET LOCAL ROLE %I; SET LOCAL tributary.creating_workflow = 'on';
  INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'sneaked', 'k')$$, :'submitter', :wf),
  'TB010', NULL,
  'with tributary.creating_workflow on, a submitter still cannot add a step to a resolved workflow');
SELECT lives_ok(format($$SET LOCAL ROLE %I; SET LOCAL tributary.creating_workflow = 'on';
  WITH w AS (INSERT INTO tributary.workflows (name) VALUES ('forged') RETURNING id)
  INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on)
  SELECT w.id, t.n, 'k', t.d FROM w, (VALUES ('a', '{}'::text[]), ('b', '{a}')) AS t(n, d);
  SET CONSTRAINTS ALL IMMEDIATE;
  RESET tributary.creating_workflow; RESET ROLE$$, :'submitter'),
  'with tributary.creating_workflow on, a submitter''s direct insert is still checked and resolved');
SELECT results_eq(
  $$SELECT s.task_name, s.state, s.remaining_deps, w.steps_total, w.steps_unfinished
    FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id
    WHERE w.name = 'forged' ORDER BY s.task_name$$,
  $$VALUES ('a', 'available', 0, 2, 2), ('b', 'pending', 1, 2, 2)$$,
  '... its workflow is counted and its dependent waits for its dependency');

SELECT throws_ok(format($$SET LOCAL ROLE %I;
  INSERT INTO tributary.steps (workflow_id, task_name, kind, state) VALUES (%s, 'x', 'k', 'available')$$, :'submitter', :wf),
  '42501', NULL, 'a submitter cannot name an engine column (state) in a direct INSERT');
SELECT throws_ok(format($$SET LOCAL ROLE %I;
  INSERT INTO tributary.workflows (id, name) VALUES (999999, 'x')$$, :'submitter'),
  '42501', NULL, 'a submitter cannot choose a workflow id (it would collide with the identity later)');
SELECT throws_ok(format($$SET LOCAL ROLE %I;
  INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id) VALUES (1, 2)$$, :'submitter'),
  '42501', NULL, 'a submitter cannot write edges');

SELECT * FROM finish();
ROLLBACK;
