-- Paused queues meet rate limits: claim_retry_in tells a worker when to claim again after a rate
-- limit held a step back. Once the queue is paused, a claim holds everything back until
-- resume_queue (which wakes the workers): claim_retry_in must say NULL (claim at the poll), not
-- replay the retry time left by an earlier limited claim, which, once past, says 0 ("claim again
-- at once") and makes the worker claim a paused queue in a loop.
BEGIN;
SELECT plan(7);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.set_rate_limit('queue', 'ipr', 1, '1 hour');
SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "queue": "ipr"}, {"name": "b", "kind": "k", "queue": "ipr"}]') AS wf \gset

SELECT is((SELECT count(*)::integer FROM tributary.claim_step('ipr', 'w1', 2)), 1, 'the rate limit lets one claim through');
SELECT is(tributary.claim_retry_in('ipr'), interval '1 hour', 'claim_retry_in: the next token is due in an hour');

SELECT tributary_test.advance('2 hours');
SELECT ok(tributary.pause_queue('ipr'), 'the queue is paused');
SELECT is((SELECT count(*)::integer FROM tributary.claim_step('ipr', 'w1', 2)), 0, 'a paused queue gives nothing, token or not');
SELECT is(tributary.claim_retry_in('ipr'), NULL, 'claim_retry_in says NULL: nothing to claim until the queue is resumed');

SELECT ok(tributary.resume_queue('ipr'), 'resumed');
SELECT is((SELECT count(*)::integer FROM tributary.claim_step('ipr', 'w1', 2)), 1, 'the token is there: one more claim');

SELECT * FROM finish();
ROLLBACK;
