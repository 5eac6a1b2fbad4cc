-- prune_finished meets child workflows and kept events: a parent and its child finalize together
-- and are pruned together; a kept event goes with its workflow (ON DELETE CASCADE), a keyed event
-- stays until it expires; a running workflow's kept event and a running child are never touched.
BEGIN;
SELECT plan(9);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.create_workflow('parent', $$[
  {"name": "p", "kind": "k", "queue": "ipp"},
  {"name": "w", "wait_for": {"event": "late"}, "depends_on": ["p"]}
]$$) AS pw \gset
SELECT tributary.send_event('early', '1', p_workflow_id => :pw) IS NULL AS kept_for_parent \gset
SELECT tributary.send_event('keyed', '2', p_key => 'ipp:1', p_ttl => '30 days') IS NULL AS kept_by_key \gset
SELECT ok(:'kept_for_parent'::boolean AND :'kept_by_key'::boolean, 'two events kept: one for the parent, one by key');

SELECT tributary_test.claim(:pw, 'p') AS pa \gset
SELECT tributary.spawn_child_workflow(tributary_test.step_id(:pw, 'p'), :pa, 'child',
  '[{"name": "x", "kind": "k", "queue": "ipc"}, {"name": "cw", "wait_for": {"event": "never"}}]') AS cw \gset
SELECT tributary.send_event('other', '3', p_workflow_id => :cw);

SELECT tributary_test.advance('1 hour');
SELECT tributary.prune_finished('0 seconds', 100000);
SELECT is((SELECT count(*)::integer FROM tributary.workflows WHERE id IN (:pw, :cw)), 2, 'nothing of theirs is pruned while they run');
SELECT is((SELECT count(*)::integer FROM tributary.events WHERE workflow_id IN (:pw, :cw)), 2,
  'the running workflows keep their events');

SELECT tributary.cancel_workflow(:pw);
SELECT results_eq(format('SELECT state FROM tributary.workflows WHERE id IN (%s, %s) ORDER BY id', :pw, :cw),
  $$VALUES ('cancelled'::text), ('cancelled')$$, 'cancelling the parent cancels the child');
SELECT is((SELECT count(*)::integer FROM tributary.events WHERE workflow_id IN (:pw, :cw)), 2,
  'a finished workflow''s kept events stay until it is pruned');

SELECT tributary_test.advance('1 day');
SELECT ok(tributary.prune_finished('1 hour', 100000) >= 2, 'prune_finished deletes them');
SELECT is((SELECT count(*)::integer FROM tributary.workflows WHERE id IN (:pw, :cw)), 0, 'parent and child are both gone');
SELECT is((SELECT count(*)::integer FROM tributary.events WHERE workflow_id IN (:pw, :cw)), 0,
  'their kept events went with them');
SELECT is((SELECT count(*)::integer FROM tributary.events WHERE key = 'ipp:1'), 1,
  'a keyed event belongs to no workflow: it stays until it expires');

SELECT * FROM finish();
ROLLBACK;
