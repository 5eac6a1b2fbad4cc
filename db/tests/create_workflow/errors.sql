-- Every error of create_workflow, with its SQLSTATE and exact message (DETAIL where it names the
-- cycle or the task's position), and nothing left behind after it: no workflow, step or edge.
BEGIN;
SELECT plan(44);

CREATE FUNCTION pg_temp.rows_now() RETURNS text LANGUAGE sql AS $$
  SELECT format('%s workflows, %s steps, %s edges', (SELECT count(*) FROM tributary.workflows),
                (SELECT count(*) FROM tributary.steps), (SELECT count(*) FROM tributary.step_dependencies))
$$;
SELECT pg_temp.rows_now() AS baseline \gset

-- TB001: cycles ---------------------------------------------------------------------------------
SELECT throws_ok(
  $$SELECT tributary.create_workflow('cyc3', '[{"name": "a", "kind": "k", "depends_on": ["c"]},
      {"name": "b", "kind": "k", "depends_on": ["a"]}, {"name": "c", "kind": "k", "depends_on": ["b"]}]')$$,
  'TB001', 'dependency cycle at task "a"',
  'a cycle of three tasks is refused, naming a task on it');
SELECT is(pg_temp.rows_now(), :'baseline', 'the refused cycle leaves no workflow, step or edge');
SELECT is(
  tributary_test.error_of($$SELECT tributary.create_workflow('cyc3', '[{"name": "a", "kind": "k", "depends_on": ["c"]},
      {"name": "b", "kind": "k", "depends_on": ["a"]}, {"name": "c", "kind": "k", "depends_on": ["b"]}]')$$)
    - 'message' - 'sqlstate',
  '{"detail": "cycle: a -> c -> b -> a (each task depends on the next)",
    "hint": "A workflow must be a DAG: remove one of these dependencies."}'::jsonb,
  'the DETAIL spells out the cycle, the HINT says how to fix it');

SELECT throws_ok(
  $$SELECT tributary.create_workflow('self', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["a", "b"]}]')$$,
  'TB001', 'dependency cycle at task "b": it depends on itself',
  'a task depending on itself is refused');
SELECT is(pg_temp.rows_now(), :'baseline', 'the refused self-dependency leaves nothing behind');
SELECT is(
  tributary_test.error_of($$SELECT tributary.create_workflow('self', '[{"name": "b", "kind": "k", "depends_on": ["b"]}]')$$)->>'detail',
  'cycle: b -> b',
  'the DETAIL of a self-dependency is the one-task cycle');

-- Listed out of order (so the ids are no topological order): x is a root, a -> c -> b -> a.
SELECT throws_ok(
  $$SELECT tributary.create_workflow('ooo', '[{"name": "x", "kind": "k"},
      {"name": "c", "kind": "k", "depends_on": ["b"]}, {"name": "b", "kind": "k", "depends_on": ["a"]},
      {"name": "a", "kind": "k", "depends_on": ["c", "x"]}]')$$,
  'TB001', 'dependency cycle at task "c"',
  'a cycle in a workflow listed out of order is refused');
SELECT is(pg_temp.rows_now(), :'baseline', 'the refused out-of-order cycle leaves nothing behind');
SELECT is(
  tributary_test.error_of($$SELECT tributary.create_workflow('ooo', '[{"name": "x", "kind": "k"},
      {"name": "c", "kind": "k", "depends_on": ["b"]}, {"name": "b", "kind": "k", "depends_on": ["a"]},
      {"name": "a", "kind": "k", "depends_on": ["c", "x"]}]')$$)->>'detail',
  'cycle: c -> b -> a -> c (each task depends on the next)',
  'the DETAIL names exactly the tasks of the cycle, not the root x');

-- A task that waits on a cycle without being on it is not reported as part of it.
SELECT is(
  tributary_test.error_of($$SELECT tributary.create_workflow('tail', '[{"name": "x", "kind": "k", "depends_on": ["a"]},
      {"name": "a", "kind": "k", "depends_on": ["b"]}, {"name": "b", "kind": "k", "depends_on": ["a"]}]')$$)
    - 'hint',
  '{"sqlstate": "TB001", "message": "dependency cycle at task \"a\"",
    "detail": "cycle: a -> b -> a (each task depends on the next)"}'::jsonb,
  'a cycle reached from a task outside it names only the tasks on the cycle');
SELECT is(pg_temp.rows_now(), :'baseline', 'nothing is left after error_of calls either');

-- TB002, TB003, TB004 -----------------------------------------------------------------------------
SELECT throws_ok(
  $$SELECT tributary.create_workflow('unknown', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["a", "nope"]}]')$$,
  'TB002', 'task "b" depends on unknown task "nope"',
  'an unknown dependency is refused, naming the task and the dependency');
SELECT is(pg_temp.rows_now(), :'baseline', 'the refused unknown dependency leaves nothing behind');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('case', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["A"]}]')$$,
  'TB002', 'task "b" depends on unknown task "A"',
  'task names are case-sensitive');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('dup', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k"}, {"name": "a", "kind": "other"}]')$$,
  'TB003', 'duplicate task name "a" in workflow "dup"',
  'a duplicate task name is refused');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('empty', '[]')$$,
  'TB004', 'workflow "empty" has no steps',
  'an empty tasks array is refused');
SELECT is(pg_temp.rows_now(), :'baseline', 'the refused duplicate name and empty workflow leave nothing behind');

-- TB005: invalid tasks ----------------------------------------------------------------------------
SELECT throws_ok($$SELECT tributary.create_workflow('w', '{"name": "a", "kind": "k"}')$$,
  'TB005', 'tasks must be a JSON array of task objects', 'tasks given as an object are refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', NULL)$$,
  'TB005', 'tasks must be a JSON array of task objects', 'NULL tasks are refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '"a"')$$,
  'TB005', 'tasks must be a JSON array of task objects', 'tasks given as a string are refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"}, ["b", "k"]]')$$,
  'TB005', 'task #2 in workflow "w": not a JSON object', 'a task that is not an object is refused by position');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"kind": "k"}]')$$,
  'TB005', 'task #1 in workflow "w": no "name" (a non-empty string)', 'a task without a name is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "", "kind": "k"}]')$$,
  'TB005', 'task "" in workflow "w": no "name" (a non-empty string)', 'an empty task name is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a"}]')$$,
  'TB005', 'task "a" in workflow "w": no "kind" (a non-empty string)', 'a task without a kind is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": 7}]')$$,
  'TB005', 'task "a" in workflow "w": no "kind" (a non-empty string)', 'a kind that is not a string is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "retries": 3, "bogus": 1}]')$$,
  'TB005', 'task "a" in workflow "w": unknown key "bogus" (known: name, kind, args, depends_on, queue, priority, max_attempts, timeout, retry_backoff, scheduled_at, wait_for, sleep, sleep_until, map, run_if, run_when, concurrency_key)',
  'an unknown key is refused, listing the known ones');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": "a"}]')$$,
  'TB005', 'task "b" in workflow "w": "depends_on" is not an array of task names', 'depends_on given as a string is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["a", 1]}]')$$,
  'TB005', 'task "b" in workflow "w": "depends_on" is not an array of task names', 'depends_on holding a number is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "depends_on": [null]}]')$$,
  'TB005', 'task "a" in workflow "w": "depends_on" is not an array of task names', 'depends_on holding null is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "queue": ""}]')$$,
  'TB005', 'task "a" in workflow "w": "queue" is not a non-empty string', 'an empty queue is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "queue": 3}]')$$,
  'TB005', 'task "a" in workflow "w": "queue" is not a non-empty string', 'a queue that is not a string is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "priority": 1.5}]')$$,
  'TB005', 'task "a" in workflow "w": "priority" is not an integer', 'a non-integer priority is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "priority": "3"}]')$$,
  'TB005', 'task "a" in workflow "w": "priority" is not an integer', 'a priority given as a string is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "max_attempts": 0}]')$$,
  'TB005', 'task "a" in workflow "w": "max_attempts" is not an integer >= 1', 'max_attempts < 1 is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "max_attempts": 2.5}]')$$,
  'TB005', 'task "a" in workflow "w": "max_attempts" is not an integer >= 1', 'a non-integer max_attempts is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "timeout": true}]')$$,
  'TB005', 'task "a" in workflow "w": "timeout" is not an interval string or a number of seconds', 'a boolean timeout is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "retry_backoff": {"s": 1}}]')$$,
  'TB005', 'task "a" in workflow "w": "retry_backoff" is not an interval string or a number of seconds', 'an object retry_backoff is refused');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "scheduled_at": 1767225600}]')$$,
  'TB005', 'task "a" in workflow "w": "scheduled_at" is not a timestamp string', 'a numeric scheduled_at is refused');

-- The first invalid task is reported, with its position in DETAIL; validation precedes the graph checks.
SELECT is(
  tributary_test.error_of($$SELECT tributary.create_workflow('w', '[{"name": "ok", "kind": "k"},
      {"name": "second", "kind": ""}, {"kind": "k"}]')$$) - 'hint',
  '{"sqlstate": "TB005", "message": "task \"second\" in workflow \"w\": no \"kind\" (a non-empty string)",
    "detail": "task #2 of the tasks array"}'::jsonb,
  'the first invalid task is reported, its position in DETAIL');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "depends_on": ["a"]}, {"name": "a", "kind": "k"}, {"name": "b"}]')$$,
  'TB005', 'task "b" in workflow "w": no "kind" (a non-empty string)',
  'an invalid task is reported before a duplicate name or a cycle');
SELECT throws_ok(
  $$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "depends_on": ["a"]}, {"name": "a", "kind": "k"}]')$$,
  'TB003', 'duplicate task name "a" in workflow "w"',
  'a duplicate name is reported before a cycle');

SELECT is(pg_temp.rows_now(), :'baseline', 'after all these errors no workflow, step or edge is left');

-- A valid workflow still goes through afterwards (the errors left no lock or state behind).
SELECT lives_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k"}]')$$, 'a valid call still succeeds');
SELECT isnt(pg_temp.rows_now(), :'baseline', 'and it creates rows');

SELECT * FROM finish();
ROLLBACK;
