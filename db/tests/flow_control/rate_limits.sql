-- Rate limits in claim_step: a token bucket per queue or concurrency key. A step over the limit
-- stays available in its place (never fails), is claimable the moment a token is due, and
-- claim_retry_in says when that is; the bucket refills continuously up to its capacity; a
-- changed rate keeps its tokens; removing it frees the queue.
BEGIN;
SELECT plan(18);

SELECT tributary_test.set_now('2030-01-01 00:00:00+00');
SELECT tributary.set_rate_limit('queue', 'fc-r', 2, '1 minute');
SELECT tributary.create_workflow('rated', $$[
  {"name": "a", "kind": "noop", "queue": "fc-r"}, {"name": "b", "kind": "noop", "queue": "fc-r"},
  {"name": "c", "kind": "noop", "queue": "fc-r"}, {"name": "d", "kind": "noop", "queue": "fc-r"},
  {"name": "e", "kind": "noop", "queue": "fc-r"}
]$$) AS wr \gset

SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-r', 'w1', 10)$$,
  $$VALUES ('a'), ('b')$$, 'a full bucket of 2: a claim of 10 starts 2');
SELECT is(tributary.claim_retry_in('fc-r'), interval '30 seconds', 'claim_retry_in: the next token is due in 30 s (2 per minute)');
SELECT is(tributary.claim_retry_in('other-queue'), NULL, 'claim_retry_in of a queue not claimed under a limit here is NULL');
SELECT is_empty($$SELECT * FROM tributary.claim_step('fc-r', 'w1', 10)$$, 'an empty bucket: nothing is claimed');
SELECT results_eq($$SELECT task_name, state, attempt FROM tributary.steps WHERE workflow_id = $$ || :wr || $$ AND state = 'available' ORDER BY task_name$$,
  $$VALUES ('c', 'available', 0), ('d', 'available', 0), ('e', 'available', 0)$$,
  'steps over the limit stay available at attempt 0 (they wait, never fail)');

SELECT tributary_test.advance('29 seconds');
SELECT is_empty($$SELECT * FROM tributary.claim_step('fc-r', 'w1', 10)$$, '29 s later the token is not yet due');
SELECT is(tributary.claim_retry_in('fc-r'), interval '1 second', 'and claim_retry_in says 1 s');
SELECT tributary_test.advance('1 second');
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-r', 'w1', 10)$$,
  $$VALUES ('c')$$, 'the moment the token is due, one step is claimed, the first in claim order');

SELECT tributary_test.advance('10 minutes');
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-r', 'w1', 10)$$,
  $$VALUES ('d'), ('e')$$, 'after a long idle time the bucket holds at most its capacity (2), and both wait no more');
SELECT is(tributary.claim_retry_in('fc-r'), interval '30 seconds',
  'a claim the bucket capped reports the next token, even if no other step was ready (one spare claim at most)');

-- Per key: a rate over a concurrency key, in any queue.
SELECT tributary.set_rate_limit('key', 'api:github', 1, '10 seconds');
SELECT tributary.create_workflow('rated-key', $$[
  {"name": "g1", "kind": "noop", "queue": "fc-rk", "concurrency_key": "api:github"},
  {"name": "g2", "kind": "noop", "queue": "fc-rk", "concurrency_key": "api:github"},
  {"name": "free", "kind": "noop", "queue": "fc-rk"}
]$$) AS wk \gset
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-rk', 'w1', 10) ORDER BY task_name$$,
  $$VALUES ('free'), ('g1')$$, 'one start of the rated key; a step without a key is claimed past the waiting one');
SELECT is(tributary.claim_retry_in('fc-rk'), interval '10 seconds', 'claim_retry_in: the key''s next token in 10 s');
SELECT tributary_test.advance('10 seconds');
SELECT results_eq($$SELECT task_name FROM tributary.claim_step('fc-rk', 'w1', 10)$$, $$VALUES ('g2')$$,
  'the second step of the key after 10 s');
SELECT is(tributary.claim_retry_in('fc-rk'), NULL, 'a claim that no limit held back leaves claim_retry_in NULL');

-- Changing and removing.
SELECT tributary.set_rate_limit('key', 'api:github', 5, '10 seconds');
SELECT is((SELECT tokens FROM tributary.flow_limits WHERE scope = 'key' AND name = 'api:github'), 0::double precision,
  'a changed rate keeps its bucket''s tokens');
SELECT results_eq($$SELECT rate_max_starts, rate_period, max_running FROM tributary.flow_limit_status WHERE name = 'api:github'$$,
  $$VALUES (5, interval '10 seconds', NULL::integer)$$, 'flow_limit_status shows the rate');
SELECT is(tributary.remove_rate_limit('queue', 'fc-r'), true, 'remove_rate_limit returns true');
SELECT is(tributary.remove_rate_limit('queue', 'fc-r'), false, 'and false when there was none');

SELECT * FROM finish();
ROLLBACK;
