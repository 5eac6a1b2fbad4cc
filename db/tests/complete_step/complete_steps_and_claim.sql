-- complete_steps_and_claim: the completion outcomes first, then the steps each claim took, in
-- one call; refused claims (TB012) complete nothing; a failing half undoes the other.
BEGIN;
SELECT plan(14);

SELECT tributary.create_workflow('chain', '[
  {"name": "a", "kind": "k", "queue": "cc"},
  {"name": "b", "kind": "k", "queue": "cc", "depends_on": ["a"]},
  {"name": "c", "kind": "k", "queue": "cc2"}
]') AS wf \gset
SELECT step_id AS a FROM tributary.claim_step('cc', 'w1') \gset

CREATE TEMP TABLE cc_rows ON COMMIT DROP AS
SELECT row_number() OVER () AS n, r.*
FROM tributary.complete_steps_and_claim(ARRAY[:a, 999999999]::bigint[], '{1, 1}', ARRAY['"A"', 'null']::jsonb[],
                                        'w1', '{cc, cc2}', '{5, 5}') AS r;
SELECT results_eq(
  $$SELECT outcome, step_id FROM cc_rows WHERE outcome IS NOT NULL ORDER BY n$$,
  format($$VALUES ('completed', %s::bigint), ('not_found', 999999999::bigint)$$, :a),
  'the outcome rows come first, one per completed step, as complete_steps reports them');
SELECT is((SELECT max(n) FILTER (WHERE outcome IS NOT NULL) < min(n) FILTER (WHERE outcome IS NULL) FROM cc_rows), true,
  'before every claimed step');
SELECT results_eq(
  $$SELECT task_name, queue, attempt, dependency_results, dependency_attempts FROM cc_rows WHERE outcome IS NULL ORDER BY n$$,
  $$VALUES ('b', 'cc', 1, '{"a": "A"}'::jsonb, '{"a": 1}'::jsonb), ('c', 'cc2', 1, '{}'::jsonb, '{}'::jsonb)$$,
  'then the steps each claim took, queue by queue: b, unlocked by the completion, with a''s result');
SELECT results_eq(
  format($$SELECT state, worker_id FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name$$, :wf),
  $$VALUES ('completed', 'w1'), ('running', 'w1'), ('running', 'w1')$$,
  'a is completed, b and c run for the worker');
SELECT is((SELECT count(*)::integer FROM cc_rows WHERE outcome IS NULL AND workflow_id IS NULL), 0,
  'claimed rows carry the claim_steps columns');

-- Refused claims complete nothing.
SELECT tributary.create_workflow('refused', '[{"name": "x", "kind": "k", "queue": "cc3"}]') AS wf2 \gset
SELECT step_id AS x FROM tributary.claim_step('cc3', 'w1') \gset
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_claim(ARRAY[%s]::bigint[], '{1}', '{null}', 'w1', '{cc3, cc}', '{1}')$$, :x),
  'TB012', 'queues and max_steps must have the same length',
  'queues and max_steps of different lengths: TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_claim(ARRAY[%s]::bigint[], '{1}', '{null}', 'w1', '{cc3}', '{0}')$$, :x),
  'TB012', 'max_steps must be at least 1, got 0',
  'a max_steps below 1: TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_claim(ARRAY[%s]::bigint[], '{1}', '{null}', 'w1', '{cc3}', '{null}')$$, :x),
  'TB012', NULL, 'a NULL max_steps: TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_claim(ARRAY[%s]::bigint[], '{1}', '{null}', 'w1', ARRAY[NULL]::text[], '{1}')$$, :x),
  'TB012', 'queues must not contain NULL', 'a NULL queue: TB012');
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_claim(ARRAY[%s]::bigint[], '{1}', '{null}', 'w1', '{cc3}', '{{1}}')$$, :x),
  'TB012', 'queues and max_steps must be one-dimensional arrays', 'a two-dimensional max_steps: TB012');
SELECT is((SELECT state FROM tributary.steps WHERE id = :x), 'running', 'and the step was not completed');

-- A claim that fails undoes the completion: the same transaction.
SELECT tributary.create_workflow('undone', '[{"name": "y", "kind": "k", "queue": "cc4"}, {"name": "z", "kind": "k", "queue": "cc4"}]') AS wf3 \gset
SELECT step_id AS y FROM tributary.claim_step('cc4', 'w1') \gset
SELECT throws_ok(
  format($$SELECT * FROM tributary.complete_steps_and_claim(ARRAY[%s]::bigint[], '{1}', '{null}', repeat('w', 300), '{cc4}', '{1}')$$, :y),
  '23514', NULL, 'a worker id too long for the claim (steps_worker_id_length) fails the call');
SELECT is((SELECT state FROM tributary.steps WHERE id = :y), 'running', 'the completion of the same call was undone');

-- No claims: the completion alone.
SELECT results_eq(
  format($$SELECT outcome, step_id FROM tributary.complete_steps_and_claim(ARRAY[%s]::bigint[], '{1}', '{null}', 'w1', '{}', '{}')$$, :y),
  format($$VALUES ('completed', %s::bigint)$$, :y),
  'empty claims: only the outcomes');

SELECT * FROM finish();
ROLLBACK;
