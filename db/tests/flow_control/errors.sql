-- Bad input to the limit functions: each a specific SQLSTATE (TB220-TB224) whose message names
-- the queue or key, and nothing is left behind; a bad concurrency_key task option is TB005
-- naming the task.
BEGIN;
SELECT plan(22);

SELECT throws_ok($$SELECT tributary.set_concurrency_limit('queue', 'q', 0)$$, 'TB220',
  'a concurrency limit must be at least 1, got 0 for queue ''q''', 'a zero concurrency limit: TB220');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit('key', 'customer:1', -3)$$, 'TB220',
  'a concurrency limit must be at least 1, got -3 for key ''customer:1''', 'a negative concurrency limit: TB220');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit('queue', 'q', NULL)$$, 'TB220',
  'a concurrency limit must be at least 1, got NULL for queue ''q''', 'a NULL concurrency limit: TB220');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit('tenant', 'q', 1)$$, 'TB221',
  'a limit applies to a ''queue'' or a ''key'', got ''tenant''', 'an unknown scope: TB221');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit(NULL, 'q', 1)$$, 'TB221',
  'a limit applies to a ''queue'' or a ''key'', got NULL', 'a NULL scope: TB221');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit('queue', '', 1)$$, 'TB222',
  'a queue limit needs a queue name of 1 to 255 characters, got ''''', 'an empty queue name: TB222');
SELECT throws_ok($$SELECT tributary.set_concurrency_limit('key', NULL, 1)$$, 'TB222',
  'a key limit needs a concurrency key of 1 to 255 characters, got NULL', 'a NULL key: TB222');
SELECT throws_ok(format('SELECT tributary.set_concurrency_limit(%L, %L, 1)', 'key', repeat('k', 256)), 'TB222',
  'a key limit needs a concurrency key of 1 to 255 characters, got 256 characters', 'a key over 255 characters: TB222');

SELECT throws_ok($$SELECT tributary.set_rate_limit('queue', 'q', 0, '1 minute')$$, 'TB223',
  'a rate limit allows at least 1 start per period, got 0 for queue ''q''', 'a rate of zero starts: TB223');
SELECT throws_ok($$SELECT tributary.set_rate_limit('queue', 'q', -1, '1 minute')$$, 'TB223',
  'a rate limit allows at least 1 start per period, got -1 for queue ''q''', 'a negative rate: TB223');
SELECT throws_ok($$SELECT tributary.set_rate_limit('key', 'k', NULL, '1 minute')$$, 'TB223',
  'a rate limit allows at least 1 start per period, got NULL for key ''k''', 'a NULL rate: TB223');
SELECT throws_ok($$SELECT tributary.set_rate_limit('queue', 'q', 10, '0 seconds')$$, 'TB224',
  'a rate limit''s period must be over zero and at most a year, got 00:00:00 for queue ''q''', 'a zero period: TB224');
SELECT throws_ok($$SELECT tributary.set_rate_limit('queue', 'q', 10, '-5 seconds')$$, 'TB224',
  'a rate limit''s period must be over zero and at most a year, got -00:00:05 for queue ''q''', 'a negative period: TB224');
SELECT throws_ok($$SELECT tributary.set_rate_limit('queue', 'q', 10, NULL)$$, 'TB224',
  'a rate limit''s period must be over zero and at most a year, got NULL for queue ''q''', 'a NULL period: TB224');
SELECT throws_ok($$SELECT tributary.set_rate_limit('queue', 'q', 10, '2 years')$$, 'TB224',
  'a rate limit''s period must be over zero and at most a year, got 2 years for queue ''q''', 'a period over a year: TB224');
SELECT throws_ok($$SELECT tributary.set_rate_limit('queues', 'q', 10, '1 minute')$$, 'TB221', NULL, 'set_rate_limit: unknown scope TB221');
SELECT throws_ok($$SELECT tributary.remove_concurrency_limit('queue', NULL)$$, 'TB222', NULL, 'remove_concurrency_limit: NULL name TB222');
SELECT throws_ok($$SELECT tributary.remove_rate_limit('nope', 'q')$$, 'TB221', NULL, 'remove_rate_limit: unknown scope TB221');

SELECT is_empty($$SELECT * FROM tributary.flow_limits$$, 'no bad call left a row behind');

-- The task option.
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "t", "kind": "k", "concurrency_key": ""}]')$$, 'TB005',
  'task "t" in workflow "w": "concurrency_key" is not a string of 1 to 255 characters', 'an empty concurrency_key option: TB005');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "t", "kind": "k", "concurrency_key": 42}]')$$, 'TB005',
  'task "t" in workflow "w": "concurrency_key" is not a string of 1 to 255 characters', 'a number as concurrency_key: TB005');
SELECT throws_ok(format($$SELECT tributary.create_workflow('w', '[{"name": "t", "kind": "k", "concurrency_key": "%s"}]')$$, repeat('k', 256)), 'TB005',
  'task "t" in workflow "w": "concurrency_key" is not a string of 1 to 255 characters', 'a concurrency_key over 255 characters: TB005');

SELECT * FROM finish();
ROLLBACK;
