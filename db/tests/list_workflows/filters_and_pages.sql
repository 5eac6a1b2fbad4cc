-- list_workflows(state, name, since, search, before_id, limit): newest first by (created_at, id),
-- each filter optional, the next page after the last id of the previous one, bad arguments
-- refused with TB012 and an unknown cursor with TB009.
BEGIN;
SELECT plan(17);

-- Six workflows an hour apart, from 2040-01-01 00:00: lw_a x3 (one completed, one cancelled),
-- lw_b x2, zz_other x1.
SELECT tributary_test.set_now('2040-01-01 00:00:00+00');
SELECT tributary.create_workflow('lw_a', '[{"name": "t", "kind": "noop", "queue": "lw"}]') AS a1 \gset
SELECT tributary_test.advance('1 hour');
SELECT tributary.create_workflow('lw_b', '[{"name": "t", "kind": "noop", "queue": "lw"}]') AS b1 \gset
SELECT tributary_test.advance('1 hour');
SELECT tributary.create_workflow('lw_a', '[{"name": "t", "kind": "noop", "queue": "lw"}]') AS a2 \gset
SELECT tributary_test.advance('1 hour');
SELECT tributary.create_workflow('zz_other', '[{"name": "t", "kind": "noop", "queue": "lw-other"}]') AS z1 \gset
SELECT tributary_test.advance('1 hour');
SELECT tributary.create_workflow('lw_b', '[{"name": "t", "kind": "noop", "queue": "lw-other"}]') AS b2 \gset
SELECT tributary_test.advance('1 hour');
SELECT tributary.create_workflow('lw_a', '[{"name": "t", "kind": "noop", "queue": "lw-other"}]') AS a3 \gset
SELECT tributary_test.run(:a1, 't');
SELECT tributary.cancel_workflow(:a2);

SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_since => '2040-01-01') WITH ORDINALITY AS l),
  ARRAY[:a3, :b2, :z1, :a2, :b1, :a1]::bigint[], 'no filter: every workflow, newest first');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(
             (SELECT to_jsonb(l) FROM tributary.list_workflows(p_limit => 1) AS l)) AS k),
  ARRAY['cancelled_at', 'created_at', 'finalized_at', 'id', 'metadata', 'name', 'scheduled_at', 'state', 'steps_total',
        'steps_unfinished'],
  'columns: id, name, state, metadata, steps_total, steps_unfinished and the timestamps');
SELECT results_eq($$SELECT name, state, steps_total, steps_unfinished, created_at, finalized_at
                   FROM tributary.list_workflows(p_name => 'lw_a') WHERE created_at >= '2040-01-01'$$,
  $$VALUES ('lw_a', 'running', 1, 1, '2040-01-01 05:00:00+00'::timestamptz, NULL::timestamptz),
           ('lw_a', 'cancelled', 1, 0, '2040-01-01 02:00:00+00', '2040-01-01 05:00:00+00'),
           ('lw_a', 'completed', 1, 0, '2040-01-01 00:00:00+00', '2040-01-01 05:00:00+00')$$,
  'name filter: exact name, newest first, with state, step counters and timestamps');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_state => 'running', p_since => '2040-01-01') WITH ORDINALITY AS l),
  ARRAY[:a3, :b2, :z1, :b1]::bigint[], 'state filter: only running workflows');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_state => 'cancelled', p_since => '2040-01-01') WITH ORDINALITY AS l),
  ARRAY[:a2]::bigint[], 'state filter: cancelled');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_since => '2040-01-01 03:00') WITH ORDINALITY AS l),
  ARRAY[:a3, :b2, :z1]::bigint[], 'since: created at or after the bound');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_search => 'lw_', p_since => '2040-01-01') WITH ORDINALITY AS l),
  ARRAY[:a3, :b2, :a2, :b1, :a1]::bigint[], 'search: a name prefix');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_search => 'lw%', p_since => '2040-01-01') WITH ORDINALITY AS l),
  NULL, 'search: LIKE wildcards in the text are matched literally');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_search => ' ' || :b2 || ' ') WITH ORDINALITY AS l),
  ARRAY[:b2]::bigint[], 'search: digits name a workflow id (surrounding blanks ignored)');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_search => :b2::text, p_state => 'completed') WITH ORDINALITY AS l),
  NULL, 'search by id still honours the other filters');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_name => 'lw_b', p_state => 'running', p_since => '2040-01-01 02:00') WITH ORDINALITY AS l),
  ARRAY[:b2]::bigint[], 'filters combine');

-- Pages of two.
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_since => '2040-01-01', p_limit => 2) WITH ORDINALITY AS l),
  ARRAY[:a3, :b2]::bigint[], 'page 1 of 2 rows');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_since => '2040-01-01', p_before_id => :b2, p_limit => 2) WITH ORDINALITY AS l),
  ARRAY[:z1, :a2]::bigint[], 'page 2 starts after the last id of page 1');
SELECT is((SELECT array_agg(id ORDER BY ordinality) FROM tributary.list_workflows(p_name => 'lw_a', p_before_id => :a3, p_limit => 5) WITH ORDINALITY AS l),
  ARRAY[:a2, :a1]::bigint[], 'a cursor works with a filter too');

SELECT throws_ok('SELECT * FROM tributary.list_workflows(p_limit => 0)', 'TB012',
  'limit must be between 1 and 1000, got 0', 'TB012 for a limit below 1');
SELECT throws_ok('SELECT * FROM tributary.list_workflows(p_state => ''done'')', 'TB012',
  'unknown workflow state "done"', 'TB012 for an unknown state');
SELECT throws_ok('SELECT * FROM tributary.list_workflows(p_before_id => -5)', 'TB009',
  'workflow -5 does not exist', 'TB009 for a cursor naming no workflow');

SELECT * FROM finish();
ROLLBACK;
