-- reserve_workflow_ids draws ids a client can give create_workflows as "id": the workflow gets
-- exactly that id. An id that was not drawn, is taken, or is given twice in a batch is refused
-- with TB014 naming the workflow, leaving nothing behind; a bad count is TB012.
BEGIN;
SELECT plan(12);

SELECT tributary.reserve_workflow_ids(3) AS ids \gset
SELECT is(cardinality(:'ids'::bigint[]), 3, 'three ids');
SELECT ok((:'ids'::bigint[])[1] < (:'ids'::bigint[])[2] AND (:'ids'::bigint[])[2] < (:'ids'::bigint[])[3],
  'distinct and increasing');

SELECT is(
  (tributary.create_workflows(format('[{"name": "w1", "id": %s, "tasks": [{"name": "a", "kind": "k"}]},
                                       {"name": "w2", "tasks": [{"name": "a", "kind": "k"}]}]',
                                     (:'ids'::bigint[])[2])::jsonb))[1],
  (:'ids'::bigint[])[2],
  'a workflow created with a reserved id has that id');
SELECT is((SELECT name FROM tributary.workflows WHERE id = (:'ids'::bigint[])[2]), 'w1', 'and is that workflow');
SELECT ok((tributary.create_workflows('[{"name": "w3", "tasks": [{"name": "a", "kind": "k"}]}]'))[1] > (:'ids'::bigint[])[3],
  'a workflow without an id still draws a new one');

SELECT count(*) AS before FROM tributary.workflows \gset
SELECT throws_ok(
  format($$SELECT tributary.create_workflows('[{"name": "again", "id": %s, "tasks": [{"name": "a", "kind": "k"}]}]')$$, (:'ids'::bigint[])[2]),
  'TB014', format('workflow "again": id %s is taken by an existing workflow', (:'ids'::bigint[])[2]),
  'an id in use: TB014');
SELECT throws_ok(
  $$SELECT tributary.create_workflows('[{"name": "future", "id": 900000000000, "tasks": [{"name": "a", "kind": "k"}]}]')$$,
  'TB014', 'workflow "future": id 900000000000 was not reserved with reserve_workflow_ids()',
  'an id the sequence has not reached (it would collide with a future workflow): TB014');
SELECT throws_ok(
  format($$SELECT tributary.create_workflows('[{"name": "x", "tasks": [{"name": "a", "kind": "k"}]},
                                              {"name": "twice", "id": %1$s, "tasks": [{"name": "a", "kind": "k"}]},
                                              {"name": "twice-again", "id": %1$s, "tasks": [{"name": "a", "kind": "k"}]}]')$$,
         (:'ids'::bigint[])[3]),
  'TB014', format('workflow "twice": id %s is given twice in the batch', (:'ids'::bigint[])[3]),
  'the same id twice in one batch: TB014');
SELECT throws_ok(
  $$SELECT tributary.create_workflows('[{"name": "neg", "id": -4, "tasks": [{"name": "a", "kind": "k"}]}]')$$,
  'TB005', 'id must be a workflow id from reserve_workflow_ids()',
  'a negative or non-integer id: TB005');
SELECT is((SELECT count(*) FROM tributary.workflows), :'before'::bigint, 'the refused batches left nothing behind');

SELECT throws_ok($$SELECT tributary.reserve_workflow_ids(0)$$, 'TB012', 'count must be between 1 and 10000, got 0',
  'a count below 1: TB012');
SELECT throws_ok($$SELECT tributary.reserve_workflow_ids(NULL)$$, 'TB012', 'count must be between 1 and 10000, got NULL',
  'a NULL count: TB012');

SELECT * FROM finish();
ROLLBACK;
