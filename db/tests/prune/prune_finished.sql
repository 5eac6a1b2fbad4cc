-- prune_finished(older_than, limit): deletes only workflows finalized before now - older_than
-- (completed, failed and cancelled alike), with their steps and edges, oldest first, at most
-- p_limit of them; keeps running and recently finalized workflows; returns the count.
BEGIN;
SELECT plan(17);

-- Workflows finalized on Jan 1 (completed), Jan 2 (cancelled), Jan 3 (failed), Jan 5 (completed);
-- one still running since Jan 1.
SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary_test.diamond('pr') AS wf_jan1 \gset
SELECT tributary_test.drain('pr');
SELECT tributary_test.diamond('pr-running') AS wf_running \gset
SELECT tributary_test.run(:wf_running, 'a');
SELECT tributary_test.set_now('2030-01-02 00:00:00+00');
SELECT tributary_test.diamond('pr') AS wf_jan2 \gset
SELECT tributary.cancel_workflow(:wf_jan2);
SELECT tributary_test.set_now('2030-01-03 00:00:00+00');
SELECT tributary_test.chain(2, 'pr') AS wf_jan3 \gset
SELECT tributary.fail_step(tributary_test.step_id(:wf_jan3, 't1'), tributary_test.claim(:wf_jan3, 't1'), '{"message": "x"}', false);
SELECT tributary_test.set_now('2030-01-05 00:00:00+00');
SELECT tributary_test.diamond('pr') AS wf_jan5 \gset
SELECT tributary_test.drain('pr');

SELECT results_eq(
  format('SELECT id, state, finalized_at FROM tributary.workflows WHERE id IN (%s, %s, %s, %s, %s) ORDER BY id',
         :wf_jan1, :wf_running, :wf_jan2, :wf_jan3, :wf_jan5),
  format($$VALUES (%s::bigint, 'completed', '2030-01-01 00:00:00+00'::timestamptz),
                  (%s, 'running', NULL),
                  (%s, 'cancelled', '2030-01-02 00:00:00+00'),
                  (%s, 'failed', '2030-01-03 00:00:00+00'),
                  (%s, 'completed', '2030-01-05 00:00:00+00')$$,
         :wf_jan1, :wf_running, :wf_jan2, :wf_jan3, :wf_jan5),
  'setup: four workflows finalized on different days, one running');

SELECT array_agg(id) AS pruned_steps FROM tributary.steps WHERE workflow_id IN (:wf_jan1, :wf_jan2) \gset
SELECT is((SELECT count(*) FROM tributary.step_dependencies WHERE step_id = ANY (:'pruned_steps'::bigint[])), 8::bigint,
  'setup: the two diamonds that will be pruned have 8 edges');
SELECT tributary_test.set_now('2030-01-10 00:00:00+00');
SELECT is(tributary.prune_finished('30 days'), 0, 'nothing finalized more than 30 days ago: 0');
SELECT is((SELECT count(*) FROM tributary.workflows WHERE id IN (:wf_jan1, :wf_running, :wf_jan2, :wf_jan3, :wf_jan5)),
  5::bigint, 'and nothing is deleted');

-- Cutoff Jan 3 00:00 exactly: Jan 3 is not strictly before it.
SELECT is(tributary.prune_finished('7 days', 1), 1, 'p_limit 1: one workflow pruned');
SELECT is((SELECT count(*) FROM tributary.workflows WHERE id = :wf_jan1), 0::bigint,
  'the oldest finalized workflow goes first');
SELECT is((SELECT count(*) FROM tributary.workflows WHERE id = :wf_jan2), 1::bigint,
  'the next one waits for the next call');
SELECT is(tributary.prune_finished('7 days'), 1, 'the next call prunes the rest older than the cutoff');
SELECT results_eq(
  format('SELECT id FROM tributary.workflows WHERE id IN (%s, %s, %s, %s, %s) ORDER BY id',
         :wf_jan1, :wf_running, :wf_jan2, :wf_jan3, :wf_jan5),
  format('VALUES (%s::bigint), (%s), (%s)', :wf_running, :wf_jan3, :wf_jan5),
  'kept: the running workflow, the one finalized exactly at the cutoff, the recent one');
SELECT is(
  (SELECT count(*) FROM tributary.steps WHERE workflow_id IN (:wf_jan1, :wf_jan2)), 0::bigint,
  'the pruned workflows'' steps are deleted');
SELECT is(
  (SELECT count(*) FROM tributary.step_dependencies AS d
   WHERE d.step_id = ANY (:'pruned_steps'::bigint[]) OR d.depends_on_step_id = ANY (:'pruned_steps'::bigint[])),
  0::bigint, 'the pruned workflows'' edges are deleted');
SELECT results_eq(
  format($$SELECT s.workflow_id, count(DISTINCT s.id), count(d.step_id)
           FROM tributary.steps AS s LEFT JOIN tributary.step_dependencies AS d ON d.step_id = s.id
           WHERE s.workflow_id IN (%s, %s, %s) GROUP BY s.workflow_id ORDER BY s.workflow_id$$,
         :wf_running, :wf_jan3, :wf_jan5),
  format('VALUES (%s::bigint, 4::bigint, 4::bigint), (%s, 2, 1), (%s, 4, 4)', :wf_running, :wf_jan3, :wf_jan5),
  'the kept workflows keep all their steps and edges');
SELECT is(tributary.prune_finished('7 days'), 0, 'a further call returns 0');

SELECT throws_ok($$SELECT tributary.prune_finished('0 seconds', 0)$$, 'TB012', 'limit must be at least 1, got 0',
  'a limit below 1 raises TB012');
SELECT throws_ok($$SELECT tributary.prune_finished('0 seconds', NULL)$$, 'TB012', 'limit must be at least 1, got <NULL>',
  'a NULL limit raises TB012');
SELECT is(tributary.prune_finished('0 seconds'), 2, 'older_than 0 prunes every finalized workflow');
SELECT results_eq(
  format('SELECT id, state FROM tributary.workflows WHERE id IN (%s, %s, %s, %s, %s)',
         :wf_jan1, :wf_running, :wf_jan2, :wf_jan3, :wf_jan5),
  format($$VALUES (%s::bigint, 'running')$$, :wf_running),
  'only the running workflow is left');

SELECT * FROM finish();
ROLLBACK;
