-- One row made inconsistent by hand (here: its workflow's counter set to 0 while the step runs,
-- so finishing it breaks workflows_counters_in_range) stops neither a rescue nor a batch
-- completion: the others are rescued or completed, and the poisoned step is reported.
BEGIN;
SELECT plan(5);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00') AS t0 \gset
SELECT tributary.create_workflow('poisoned', '[{"name": "p", "kind": "k", "queue": "cq", "max_attempts": 1}]') AS wf_p \gset
SELECT tributary.create_workflow('innocent', '[{"name": "i", "kind": "k", "queue": "cq", "max_attempts": 1}]') AS wf_i \gset
SELECT tributary_test.claim(:wf_p, 'p') AS ignored \gset
SELECT tributary_test.claim(:wf_i, 'i') AS ignored \gset
SELECT tributary_test.step_id(:wf_p, 'p') AS p, tributary_test.step_id(:wf_i, 'i') AS i \gset
UPDATE tributary.workflows SET steps_unfinished = 0 WHERE id = :wf_p;  -- the poison

-- Both leases expire; the poisoned one expires first, so a rescue meets it first.
UPDATE tributary.steps SET lease_expires_at = lease_expires_at - interval '1 second' WHERE id = :p;
SELECT tributary_test.advance('2 minutes') AS ignored \gset
SELECT is(tributary.rescue_expired_steps(), 1, 'rescue_expired_steps rescues the innocent step past the poisoned one');
SELECT results_eq(
  format('SELECT id, state FROM tributary.steps WHERE id IN (%s, %s) ORDER BY id', :p, :i),
  format($$VALUES (%s::bigint, 'running'), (%s, 'discarded')$$, :p, :i),
  '... the poisoned step is left as it was, the innocent one is discarded (no attempt left)');
SELECT is(tributary.rescue_expired_steps(), 0, '... and the next rescue does not fail either');

-- A batch completion holding the poisoned step completes its neighbours.
SELECT tributary.create_workflow('neighbour', '[{"name": "n", "kind": "k", "queue": "cq2"}]') AS wf_n \gset
SELECT tributary.create_workflow('poisoned2', '[{"name": "q", "kind": "k", "queue": "cq3"}]') AS wf_q \gset
SELECT tributary_test.claim(:wf_n, 'n') AS ignored \gset
SELECT tributary_test.claim(:wf_q, 'q') AS ignored \gset
SELECT tributary_test.step_id(:wf_n, 'n') AS n, tributary_test.step_id(:wf_q, 'q') AS q \gset
UPDATE tributary.workflows SET steps_unfinished = 0 WHERE id = :wf_q;
SELECT results_eq(
  format($$SELECT step_id, outcome FROM tributary.complete_steps(ARRAY[%s, %s]::bigint[], ARRAY[1, 1], ARRAY['1', '2']::jsonb[])$$, :q, :n),
  format($$VALUES (%s::bigint, 'error'), (%s, 'completed')$$, :q, :n),
  'complete_steps: the poisoned step gets the outcome error, its neighbour completes');
SELECT results_eq(
  format('SELECT w.state, s.state, s.result FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id WHERE s.id IN (%s, %s) ORDER BY s.id', :n, :q),
  $$VALUES ('completed', 'completed', '2'::jsonb), ('running', 'running', NULL)$$,
  '... the neighbour''s workflow is finalized; the poisoned step is untouched');

SELECT * FROM finish();
ROLLBACK;
