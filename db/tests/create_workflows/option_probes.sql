-- create_workflows skips the checks of dependencies, waits, maps and branches when a probe of the
-- input finds no task with one. The probe looks at every task of every workflow of the batch: an
-- option used only by the last task of the last workflow is still checked, and a batch of
-- one-step workflows (nothing to check) is created with its ids in input order, also when some
-- idempotency keys are taken.
BEGIN;
SELECT plan(8);

SELECT throws_ok(
  $$SELECT tributary.create_workflows('[
      {"name": "plain", "tasks": [{"name": "a", "kind": "noop"}]},
      {"name": "late", "tasks": [{"name": "a", "kind": "noop"}, {"name": "b", "kind": "noop", "depends_on": ["nope"]}]}
    ]')$$,
  'TB002', 'task "b" depends on unknown task "nope"',
  'an unknown dependency of the last task of the last workflow is found');
SELECT throws_ok(
  $$SELECT tributary.create_workflows('[
      {"name": "plain", "tasks": [{"name": "a", "kind": "noop"}]},
      {"name": "late", "tasks": [{"name": "a", "kind": "noop"}, {"name": "b", "kind": "noop", "depends_on": ["b"]}]}
    ]')$$,
  'TB001', 'dependency cycle at task "b": it depends on itself',
  'a task depending on itself in the last workflow is found');
SELECT throws_ok(
  $$SELECT tributary.create_workflows('[
      {"name": "plain", "tasks": [{"name": "a", "kind": "noop"}]},
      {"name": "late", "tasks": [{"name": "a", "kind": "noop"}, {"name": "nap", "sleep": "-1 hour"}]}
    ]')$$,
  'TB303', NULL,
  'a bad sleep of the last task of the last workflow is found');
SELECT throws_ok(
  $$SELECT tributary.create_workflows('[
      {"name": "plain", "tasks": [{"name": "a", "kind": "noop"}]},
      {"name": "late", "tasks": [{"name": "a", "kind": "noop"}, {"name": "each", "kind": "noop", "map": {"over": "x"}}]}
    ]')$$,
  'TB320', NULL,
  'a bad map of the last task of the last workflow is found');
SELECT throws_ok(
  $$SELECT tributary.create_workflows('[
      {"name": "plain", "tasks": [{"name": "a", "kind": "noop"}]},
      {"name": "late", "tasks": [{"name": "a", "kind": "noop"}, {"name": "b", "kind": "noop", "run_when": "sometimes"}]}
    ]')$$,
  'TB321', NULL,
  'a bad run_when of the last task of the last workflow is found');
SELECT is((SELECT count(*) FROM tributary.workflows WHERE name IN ('plain', 'late')), 0::bigint,
          'the refused batches left nothing behind');

SELECT tributary.create_workflow('taken', '[{"name": "a", "kind": "noop"}]', NULL, '{}', 'probe-key') AS taken \gset
SELECT tributary.create_workflows('[
    {"name": "first", "tasks": [{"name": "a", "kind": "noop"}]},
    {"name": "again", "tasks": [{"name": "a", "kind": "noop"}], "idempotency_key": "probe-key"},
    {"name": "third", "tasks": [{"name": "a", "kind": "noop"}]}
  ]') AS ids \gset
SELECT is((:'ids'::bigint[])[2], :taken::bigint, 'a taken key gives back the existing workflow''s id in its position');
SELECT results_eq(
  format($$SELECT w.name FROM unnest(%L::bigint[]) WITH ORDINALITY AS i(id, ord) JOIN tributary.workflows AS w ON w.id = i.id ORDER BY i.ord$$, :'ids'),
  $$VALUES ('first'), ('taken'), ('third')$$,
  'one-step workflows come back in input order');

SELECT * FROM finish();
ROLLBACK;
