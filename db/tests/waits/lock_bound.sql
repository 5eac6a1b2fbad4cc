-- A transaction that begins many waits for events holds at most 64 advisory locks (the event
-- addresses share 64 locks by hash): a batch of keyed waits cannot exhaust the lock table.
BEGIN;
SELECT plan(2);

SELECT is(cardinality(tributary.create_workflows((
  SELECT jsonb_agg(jsonb_build_object('name', 'w', 'tasks', jsonb_build_array(jsonb_build_object(
           'name', 'w', 'wait_for', jsonb_build_object('event', 'go', 'key', 'k' || g)))))
  FROM generate_series(1, 3000) AS g))), 3000, '3,000 keyed waits in one transaction');
SET CONSTRAINTS ALL IMMEDIATE;  -- what COMMIT does: each wait looks for a kept event under its lock
SELECT cmp_ok((SELECT count(*)::integer FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), '<=', 64,
  'at most 64 advisory locks are held');

SELECT * FROM finish();
ROLLBACK;
