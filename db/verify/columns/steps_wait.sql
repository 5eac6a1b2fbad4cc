-- Verify tributary:columns/steps_wait
BEGIN;
SELECT wait, wake_at FROM tributary.steps WHERE false;
SELECT 1 / (pg_catalog.count(*) = 2)::integer FROM pg_catalog.pg_indexes
WHERE schemaname = 'tributary' AND indexname IN ('steps_wake_idx', 'steps_waiting_event_idx');
WITH step_rules (name, definition) AS (  -- a CHECK constraint, or a rule of tributary._step_rules (tables/steps_rules)
  SELECT c.conname::text, pg_catalog.pg_get_constraintdef(c.oid) FROM pg_catalog.pg_constraint AS c
  WHERE c.conrelid = 'tributary.steps'::regclass AND c.contype = 'c' AND c.convalidated
  UNION ALL
  SELECT m[2], m[1] FROM pg_catalog.pg_proc AS p,
    pg_catalog.regexp_matches(p.prosrc, 'WHEN NOT (.*?)\s+THEN ''(steps_[a-z_]+)''', 'g') AS m
  WHERE p.oid = pg_catalog.to_regproc('tributary._step_rules')
)
SELECT 1 / (pg_catalog.count(*) = 3)::integer FROM step_rules
WHERE name IN ('steps_wait_is_object', 'steps_wake_at_only_when_waiting', 'steps_wait_never_claimed');
ROLLBACK;
