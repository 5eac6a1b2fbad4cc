-- Every error of create_workflows: the SQLSTATE and message of create_workflow, and a DETAIL that
-- starts with the failing workflow's position in the batch and its name. The first failing
-- workflow is reported; a failed batch leaves nothing behind (not even its valid workflows) and
-- its idempotency keys stay free.
BEGIN;
SELECT plan(17);

CREATE TEMP TABLE counts_before ON COMMIT DROP AS
SELECT (SELECT count(*) FROM tributary.workflows) AS w, (SELECT count(*) FROM tributary.steps) AS s,
       (SELECT count(*) FROM tributary.step_dependencies) AS e;

CREATE FUNCTION pg_temp.batch_error(p_second jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT tributary_test.error_of(format('SELECT tributary.create_workflows(%L)',
    jsonb_build_array(jsonb_build_object('name', 'fine', 'idempotency_key', 'kept-free',
                                         'tasks', '[{"name": "a", "kind": "k"}]'::jsonb),
                      p_second)))
$$;

SELECT is(pg_temp.batch_error('{"name": "bad", "tasks": [{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["nope"]}]}'),
  '{"sqlstate": "TB002", "message": "task \"b\" depends on unknown task \"nope\"",
    "detail": "workflow #2 (\"bad\") of the batch; task #2 of the tasks array",
    "hint": "depends_on names tasks of the same workflow; check the spelling or add the task."}',
  'TB002 names the task, and the workflow''s position and name in DETAIL');
SELECT is(pg_temp.batch_error('{"name": "self", "tasks": [{"name": "b", "kind": "k", "depends_on": ["b"]}]}')->>'detail',
  'workflow #2 ("self") of the batch; cycle: b -> b',
  'TB001 for a task depending on itself names the workflow');
SELECT is(pg_temp.batch_error('{"name": "cyc", "tasks": [{"name": "a", "kind": "k", "depends_on": ["c"]},
    {"name": "b", "kind": "k", "depends_on": ["a"]}, {"name": "c", "kind": "k", "depends_on": ["b"]}]}'),
  '{"sqlstate": "TB001", "message": "dependency cycle at task \"a\"",
    "detail": "workflow #2 (\"cyc\") of the batch; cycle: a -> c -> b -> a (each task depends on the next)",
    "hint": "A workflow must be a DAG: remove one of these dependencies."}',
  'TB001 for a longer cycle: the cycle and the workflow in DETAIL');
SELECT is(pg_temp.batch_error('{"name": "dup", "tasks": [{"name": "a", "kind": "k"}, {"name": "x", "kind": "k"}, {"name": "a", "kind": "k"}]}'),
  '{"sqlstate": "TB003", "message": "duplicate task name \"a\" in workflow \"dup\"",
    "detail": "workflow #2 (\"dup\") of the batch; tasks #1, #3 of the tasks array",
    "hint": "Task names must be unique within a workflow."}',
  'TB003 names both positions of the duplicate');
SELECT is(pg_temp.batch_error('{"name": "empty", "tasks": []}'),
  '{"sqlstate": "TB004", "message": "workflow \"empty\" has no steps",
    "detail": "workflow #2 (\"empty\") of the batch", "hint": "A workflow needs at least one task."}',
  'TB004 for a workflow without tasks');
SELECT is(pg_temp.batch_error('{"name": "t", "tasks": [{"name": "a"}]}')->>'detail',
  'workflow #2 ("t") of the batch; task #1 of the tasks array',
  'TB005 for an invalid task names the workflow and the task');
SELECT is(pg_temp.batch_error('{"name": "t", "tasks": [{"name": "a", "kind": "k", "timeout": "soon"}]}'),
  '{"sqlstate": "TB005", "message": "task \"a\" in workflow \"t\": \"timeout\" is not a valid interval: soon",
    "detail": "workflow #2 (\"t\") of the batch; task #1 of the tasks array",
    "hint": "Intervals are strings such as ''5 minutes'' or numbers of seconds; scheduled_at is an ISO timestamp."}',
  'TB005 for an option value that does not parse (found after the insert failed)');
SELECT is(pg_temp.batch_error('{"name": "late", "tasks": [{"name": "a", "kind": "k"}], "scheduled_at": "someday"}'),
  '{"sqlstate": "TB005", "message": "workflow \"late\": scheduled_at \"someday\" is not a timestamp",
    "detail": "workflow #2 (\"late\") of the batch",
    "hint": "scheduled_at is an ISO timestamp such as ''2030-01-01T00:00:00Z''."}',
  'TB005 for a workflow scheduled_at that does not parse');
SELECT is(pg_temp.batch_error('{"tasks": [{"name": "a", "kind": "k"}]}')->>'message',
  'workflow has no "name" (a non-empty string)', 'TB005 for a workflow without a name');
SELECT is(pg_temp.batch_error('{"name": "w", "tasks": [{"name": "a", "kind": "k"}], "retries": 3}')->>'message',
  'workflow has an unknown key "retries" (known: name, tasks, scheduled_at, metadata, idempotency_key, id)',
  'TB005 for an unknown workflow key');
SELECT is(pg_temp.batch_error('{"name": "w", "tasks": {"name": "a", "kind": "k"}}') - 'hint',
  '{"sqlstate": "TB005", "message": "tasks must be a JSON array of task objects", "detail": "workflow #2 (\"w\") of the batch"}',
  'TB005 for tasks that are not an array, as create_workflow says it');
SELECT is(pg_temp.batch_error('{"name": "w", "tasks": [{"name": "a", "kind": "k"}], "metadata": [1]}')->>'message',
  'metadata must be a JSON object', 'TB005 for metadata that is not an object');
SELECT is(pg_temp.batch_error('"w"')->>'message', 'workflow is not a JSON object', 'TB005 for a workflow that is not an object');
SELECT throws_ok($$SELECT tributary.create_workflows('{"name": "w"}')$$,
  'TB005', 'workflows must be a JSON array of workflow objects', 'the batch must be an array');
SELECT throws_ok($$SELECT tributary.create_workflows(NULL)$$,
  'TB005', 'workflows must be a JSON array of workflow objects', 'a NULL batch is refused');

SELECT results_eq(
  $$SELECT (SELECT count(*) FROM tributary.workflows) - w, (SELECT count(*) FROM tributary.steps) - s,
           (SELECT count(*) FROM tributary.step_dependencies) - e FROM counts_before$$,
  $$VALUES (0::bigint, 0::bigint, 0::bigint)$$,
  'no failed batch left a workflow, step or edge behind, not even its valid first workflow');
SELECT isnt(
  tributary.create_workflow('w', '[{"name": "a", "kind": "k"}]', NULL, '{}', 'kept-free'),
  NULL,
  'the idempotency key of a failed batch is still free');

SELECT * FROM finish();
ROLLBACK;
