-- tributary.settings: exactly one row of engine-wide defaults, read by _settings(); the step
-- column defaults come from it at insert time, so an UPDATE applies to steps created afterwards.
BEGIN;
SELECT plan(12);

SELECT is((SELECT count(*) FROM tributary.settings), 1::bigint, 'settings holds exactly one row');
SELECT results_eq(
  $$SELECT default_queue, default_priority, default_max_attempts, default_timeout,
           default_retry_backoff, retry_backoff_cap, lease_duration FROM tributary.settings$$,
  $$VALUES ('default'::text, 0, 5, NULL::interval, interval '1 second', interval '10 minutes', interval '60 seconds')$$,
  'the settings row holds the documented defaults');
SELECT is(tributary._settings(), (SELECT s FROM tributary.settings AS s), '_settings() returns the settings row');

SELECT throws_ok($$INSERT INTO tributary.settings DEFAULT VALUES$$, '23505', NULL,
  'a second settings row is refused');
SELECT throws_ok($$INSERT INTO tributary.settings (singleton) VALUES (false)$$, '23514',
  'new row for relation "settings" violates check constraint "settings_one_row"',
  'a settings row other than the singleton is refused');
SELECT throws_ok($$UPDATE tributary.settings SET retry_backoff_cap = '100 milliseconds'$$, '23514',
  'new row for relation "settings" violates check constraint "settings_backoff_positive"',
  'a backoff cap below the base is refused');
SELECT throws_ok($$UPDATE tributary.settings SET default_max_attempts = 0$$, '23514',
  'new row for relation "settings" violates check constraint "settings_max_attempts_positive"',
  'default_max_attempts below 1 is refused');

-- A step inserted without options takes the defaults (plain INSERT: the column defaults).
SELECT tributary_test.insert_workflow('defaults', '[{"name": "a"}]') AS wf_old \gset
SELECT results_eq(
  format('SELECT queue, priority, max_attempts, timeout, retry_backoff FROM tributary.steps WHERE workflow_id = %s', :wf_old),
  $$VALUES ('default'::text, 0, 5, NULL::interval, interval '1 second')$$,
  'a step inserted without options takes the settings defaults');

UPDATE tributary.settings SET default_queue = 'bulk', default_priority = 7, default_max_attempts = 2,
                              default_timeout = '90 seconds', default_retry_backoff = '3 seconds';
SELECT tributary_test.insert_workflow('defaults-updated', '[{"name": "a"}]') AS wf_new \gset
SELECT results_eq(
  format('SELECT queue, priority, max_attempts, timeout, retry_backoff FROM tributary.steps WHERE workflow_id = %s', :wf_new),
  $$VALUES ('bulk'::text, 7, 2, interval '90 seconds', interval '3 seconds')$$,
  'after an UPDATE of settings, new steps take the new defaults');
SELECT results_eq(
  format('SELECT queue, priority, max_attempts, timeout, retry_backoff FROM tributary.steps WHERE workflow_id = %s', :wf_old),
  $$VALUES ('default'::text, 0, 5, NULL::interval, interval '1 second')$$,
  'steps created before the UPDATE keep the options they were created with');
SELECT is((tributary._settings()).default_queue, 'bulk', '_settings() sees the update in the same transaction');

SET CONSTRAINTS ALL IMMEDIATE;
SELECT is(
  (SELECT array_agg(state ORDER BY workflow_id) FROM tributary.steps WHERE workflow_id IN (:wf_old, :wf_new)),
  ARRAY['available', 'available'],
  'both directly inserted one-step workflows resolve with their step available');

SELECT * FROM finish();
ROLLBACK;
