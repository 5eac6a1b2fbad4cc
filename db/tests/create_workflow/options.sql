-- Task options given to create_workflow are stored on the steps; omitted (or null) options take
-- tributary.settings' defaults as they are when the workflow is created. timeout and
-- retry_backoff are an interval string or a number of seconds. The workflow's scheduled_at
-- (default: now) is the earliest time any of its steps may run.
BEGIN;
SELECT plan(14);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');

SELECT tributary.create_workflow('opts', '[
  {"name": "full", "kind": "resize", "queue": "images", "priority": -3, "max_attempts": 1,
   "timeout": "5 minutes", "retry_backoff": "2 seconds", "scheduled_at": "2030-01-02T00:00:00Z",
   "args": {"w": 640, "tags": ["a", "b"], "nested": {"x": null}}},
  {"name": "seconds", "kind": "k", "priority": 9, "max_attempts": 12, "timeout": 90, "retry_backoff": 0.25},
  {"name": "fraction", "kind": "k", "timeout": 1.5, "retry_backoff": 10},
  {"name": "omitted", "kind": "k"},
  {"name": "nulls", "kind": "k", "queue": null, "priority": null, "max_attempts": null, "timeout": null,
   "retry_backoff": null, "scheduled_at": null}
]', NULL, '{"owner": "team-a", "n": 1}') AS wf \gset

SELECT results_eq(
  format('SELECT task_name, kind, queue, priority, max_attempts, timeout, retry_backoff FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :wf),
  $$VALUES ('full', 'resize', 'images', -3, 1, interval '5 minutes', interval '2 seconds'),
           ('seconds', 'k', 'default', 9, 12, interval '90 seconds', interval '0.25 seconds'),
           ('fraction', 'k', 'default', 0, 5, interval '1.5 seconds', interval '10 seconds'),
           ('omitted', 'k', 'default', 0, 5, NULL, interval '1 second'),
           ('nulls', 'k', 'default', 0, 5, NULL, interval '1 second')$$,
  'options are stored (intervals as strings or seconds); omitted or null options take the settings defaults');
SELECT is(
  (SELECT args FROM tributary.steps WHERE workflow_id = :wf AND task_name = 'full'),
  '{"w": 640, "tags": ["a", "b"], "nested": {"x": null}}'::jsonb,
  'args are stored as given');
SELECT is(
  (SELECT args FROM tributary.steps WHERE workflow_id = :wf AND task_name = 'omitted'),
  '{}'::jsonb,
  'omitted args are an empty object');
SELECT is(
  (SELECT metadata FROM tributary.workflows WHERE id = :wf),
  '{"owner": "team-a", "n": 1}'::jsonb,
  'the workflow metadata is stored');
SELECT results_eq(
  format('SELECT task_name, scheduled_at FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :wf),
  $$VALUES ('full', timestamptz '2030-01-02 00:00:00+00'), ('seconds', timestamptz '2030-01-01 00:00:00+00'),
           ('fraction', timestamptz '2030-01-01 00:00:00+00'), ('omitted', timestamptz '2030-01-01 00:00:00+00'),
           ('nulls', timestamptz '2030-01-01 00:00:00+00')$$,
  'a task scheduled_at is stored; without one a step is scheduled now');
SELECT is(
  (SELECT state FROM tributary.steps WHERE workflow_id = :wf AND task_name = 'full'),
  'available',
  'a root scheduled in the future is available (claimable once its time comes)');

-- Defaults are read when the workflow is created: an UPDATE of settings applies to new workflows.
UPDATE tributary.settings SET default_queue = 'bulk', default_priority = 4, default_max_attempts = 2,
                              default_timeout = '1 hour', default_retry_backoff = '30 seconds',
                              retry_backoff_cap = '1 hour';
SELECT tributary.create_workflow('after-update', '[{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "queue": "own", "timeout": 5}]') AS wf2 \gset
SELECT results_eq(
  format('SELECT task_name, queue, priority, max_attempts, timeout, retry_backoff FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :wf2),
  $$VALUES ('a', 'bulk', 4, 2, interval '1 hour', interval '30 seconds'),
           ('b', 'own', 4, 2, interval '5 seconds', interval '30 seconds')$$,
  'after an UPDATE of settings, omitted options take the new defaults and given ones still win');
SELECT results_eq(
  format('SELECT queue, max_attempts, timeout FROM tributary.steps WHERE workflow_id = %s AND task_name = %L', :wf, 'omitted'),
  $$VALUES ('default', 5, NULL::interval)$$,
  'steps created before the UPDATE keep their options');

-- Workflow scheduled_at: the floor of every step's scheduled_at.
SELECT tributary.create_workflow('later', '[
  {"name": "plain", "kind": "k"},
  {"name": "earlier", "kind": "k", "scheduled_at": "2030-01-01T06:00:00Z"},
  {"name": "after", "kind": "k", "scheduled_at": "2030-01-03T00:00:00Z", "depends_on": ["plain"]}
]', '2030-01-02 00:00:00+00') AS wf3 \gset
SELECT is(
  (SELECT scheduled_at FROM tributary.workflows WHERE id = :wf3),
  '2030-01-02 00:00:00+00'::timestamptz,
  'the workflow stores its scheduled_at');
SELECT results_eq(
  format('SELECT task_name, scheduled_at FROM tributary.steps WHERE workflow_id = %s ORDER BY id', :wf3),
  $$VALUES ('plain', timestamptz '2030-01-02 00:00:00+00'), ('earlier', timestamptz '2030-01-02 00:00:00+00'),
           ('after', timestamptz '2030-01-03 00:00:00+00')$$,
  'steps start at the workflow''s scheduled_at: a task time before it is raised to it, a later one is kept');
SELECT is(
  (SELECT created_at FROM tributary.workflows WHERE id = :wf3),
  '2030-01-01 00:00:00+00'::timestamptz,
  'a workflow scheduled later is still created now');

SELECT tributary.create_workflow('past', '[{"name": "a", "kind": "k"}]', '2029-06-01 00:00:00+00') AS wf4 \gset
SELECT results_eq(
  format('SELECT w.scheduled_at, s.scheduled_at FROM tributary.workflows AS w JOIN tributary.steps AS s ON s.workflow_id = w.id WHERE w.id = %s', :wf4),
  $$VALUES (timestamptz '2029-06-01 00:00:00+00', timestamptz '2029-06-01 00:00:00+00')$$,
  'a scheduled_at in the past is kept as given');

SELECT tributary.create_workflow('nullmeta', '[{"name": "a", "kind": "k"}]', NULL, NULL) AS wf5 \gset
SELECT results_eq(
  format('SELECT metadata, scheduled_at FROM tributary.workflows WHERE id = %s', :wf5),
  $$VALUES ('{}'::jsonb, timestamptz '2030-01-01 00:00:00+00')$$,
  'NULL metadata is stored as {} and a NULL scheduled_at means now');

SELECT tributary.create_workflow(p_tasks => '[{"name": "a", "kind": "k"}]', p_name => 'named-args',
                                 p_metadata => '{"k": "v"}') AS wf6 \gset
SELECT is(
  (SELECT metadata FROM tributary.workflows WHERE id = :wf6),
  '{"k": "v"}'::jsonb,
  'create_workflow takes named arguments p_name, p_tasks, p_metadata');

SELECT * FROM finish();
ROLLBACK;
