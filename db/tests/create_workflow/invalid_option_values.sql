-- Option values of the right JSON type but unusable: create_workflow should refuse them with
-- TB005 naming the task, as it does for values of the wrong type.
-- Regression tests. Before the fix, The validation only checks JSON types; the values are
-- cast later, inside the INSERT, so the caller gets a generic 22007/22003/22P02 or a 23514 CHECK
-- violation that names neither the task nor the option (the call still leaves nothing behind).
BEGIN;
SELECT plan(6);

SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "timeout": "soon"}]')$$,
  'TB005', NULL, 'an unparsable timeout string is TB005');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "timeout": -5}]')$$,
  'TB005', NULL, 'a negative timeout is TB005');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "retry_backoff": "-1 second"}]')$$,
  'TB005', NULL, 'a negative retry_backoff is TB005');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "priority": 1e12}]')$$,
  'TB005', NULL, 'a priority outside integer range is TB005');
SELECT throws_ok($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "scheduled_at": "tomorrow-ish"}]')$$,
  'TB005', NULL, 'an unparsable scheduled_at is TB005');
-- 2.0 passes the "is an integer" check (2.0 = trunc(2.0)) and then fails the cast '2.0'::integer.
SELECT ok(
  coalesce(tributary_test.error_of($$SELECT tributary.create_workflow('w', '[{"name": "a", "kind": "k", "priority": 2.0, "max_attempts": 3.0}]')$$)->>'sqlstate', 'TB005') = 'TB005',
  'an integral number written 2.0 is accepted as an integer, or refused with TB005');

SELECT * FROM finish();
ROLLBACK;
