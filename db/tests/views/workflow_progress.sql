-- workflow_progress: one row per workflow with its state, steps_total, the number of steps in
-- each state and the elapsed time (to finalization, or to now while running).
BEGIN;
SELECT plan(5);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary_test.diamond('vp') AS wf \gset
SELECT tributary_test.run(:wf, 'a');
SELECT tributary_test.claim(:wf, 'b');
SELECT tributary_test.chain(3, 'vp2') AS wf_failed \gset
SELECT tributary_test.advance('5 minutes');
SELECT tributary.fail_step(tributary_test.step_id(:wf_failed, 't1'), tributary_test.claim(:wf_failed, 't1'),
                           '{"message": "broken"}', false);
SELECT tributary_test.advance('2 minutes');

SELECT results_eq(
  format($$SELECT name, state, steps_total, pending, available, running, completed, discarded, cancelled,
                  finalized_at, elapsed
           FROM tributary.workflow_progress WHERE id = %s$$, :wf),
  $$VALUES ('diamond', 'running', 4, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 0::bigint, 0::bigint,
            NULL::timestamptz, interval '7 minutes')$$,
  'a running diamond: one step in each of pending, available, running, completed; elapsed up to now');
SELECT results_eq(
  format($$SELECT name, state, steps_total, pending, available, running, completed, discarded, cancelled,
                  finalized_at, elapsed
           FROM tributary.workflow_progress WHERE id = %s$$, :wf_failed),
  $$VALUES ('chain', 'failed', 3, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 1::bigint, 2::bigint,
            '2030-01-01 00:05:00+00'::timestamptz, interval '5 minutes')$$,
  'a failed chain: one discarded, two cancelled; elapsed up to its finalization');

SELECT tributary_test.advance('1 minute');
SELECT tributary.complete_step(tributary_test.step_id(:wf, 'b'), 1, NULL);
SELECT tributary_test.drain('vp');
SELECT results_eq(
  format($$SELECT state, pending, available, running, completed, elapsed
           FROM tributary.workflow_progress WHERE id = %s$$, :wf),
  $$VALUES ('completed', 0::bigint, 0::bigint, 0::bigint, 4::bigint, interval '8 minutes')$$,
  'the completed diamond: four completed steps, elapsed up to its finalization');
SELECT tributary_test.advance('1 hour');
SELECT is((SELECT elapsed FROM tributary.workflow_progress WHERE id = :wf), interval '8 minutes',
  'a finalized workflow''s elapsed time stops growing');

SELECT tributary.create_workflow('waits', '[{"name": "nap", "sleep": "1 hour"},
  {"name": "after", "kind": "k", "depends_on": ["nap"]}]') AS wf_wait \gset
SELECT results_eq(
  format($$SELECT pending, waiting, skipped FROM tributary.workflow_progress WHERE id = %s$$, :wf_wait),
  $$VALUES (1::bigint, 1::bigint, 0::bigint)$$,
  'a sleeping step counts as waiting');

SELECT * FROM finish();
ROLLBACK;
