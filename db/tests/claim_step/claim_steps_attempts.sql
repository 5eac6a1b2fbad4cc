-- claim_steps returns, beside each dependency's result, the attempt that produced it (keyed by
-- task name, like dependency_results): '{}' for a root; the completing attempt, not the first,
-- for a dependency that failed before it completed.
BEGIN;
SELECT plan(5);

SELECT tributary.create_workflow('attempts', '[
  {"name": "a", "kind": "k", "queue": "att", "retry_backoff": "0 seconds"},
  {"name": "b", "kind": "k", "queue": "att"},
  {"name": "c", "kind": "k", "queue": "att", "depends_on": ["a", "b"]}
]') AS wf \gset

SELECT results_eq(
  $$SELECT task_name, dependency_attempts FROM tributary.claim_steps('att', 'w', 2)$$,
  $$VALUES ('a', '{}'::jsonb), ('b', '{}'::jsonb)$$,
  'roots get an empty object');
SELECT tributary.fail_step(tributary_test.step_id(:wf, 'a'), 1, '{"message": "flaky"}', true) AS ignored \gset
SELECT is((SELECT state FROM tributary.steps WHERE id = tributary_test.step_id(:wf, 'a')), 'available',
  'a failed its first attempt and waits for a second');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'b'), 1, '"b"') AS ignored \gset
SELECT task_name FROM tributary.claim_step('att', 'w') \gset
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'a'), 2, '"a"') AS ignored \gset

CREATE TEMP TABLE c_claim ON COMMIT DROP AS SELECT * FROM tributary.claim_steps('att', 'w');
SELECT is((SELECT dependency_attempts FROM c_claim), '{"a": 2, "b": 1}'::jsonb,
  'c gets the attempt that produced each dependency''s result: a''s second, b''s first');
SELECT is((SELECT dependency_results FROM c_claim), '{"a": "a", "b": "b"}'::jsonb,
  'and the results themselves, keyed the same way');

SELECT is(
  (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_proc AS p
   CROSS JOIN LATERAL unnest(p.proargnames, p.proargmodes) WITH ORDINALITY AS a(attname, mode, attnum)
   WHERE p.oid = 'tributary.claim_step(text, text, integer)'::regprocedure AND a.mode = 't'),
  ARRAY['step_id', 'workflow_id', 'task_name', 'kind', 'args', 'attempt', 'max_attempts', 'queue', 'priority',
        'timeout', 'deadline_at', 'lease_expires_at', 'dependency_results', 'has_dependents'],
  'claim_step keeps the columns of the first release, in order (its workers read them by position)');

SELECT * FROM finish();
ROLLBACK;
