-- Verify tributary:tables/steps_state_waiting
BEGIN;
WITH step_rules (name, definition) AS (  -- a CHECK constraint, or a rule of tributary._step_rules (tables/steps_rules)
  SELECT c.conname::text, pg_catalog.pg_get_constraintdef(c.oid) FROM pg_catalog.pg_constraint AS c
  WHERE c.conrelid = 'tributary.steps'::regclass AND c.contype = 'c' AND c.convalidated
  UNION ALL
  SELECT m[2], m[1] FROM pg_catalog.pg_proc AS p,
    pg_catalog.regexp_matches(p.prosrc, 'WHEN NOT (.*?)\s+THEN ''(steps_[a-z_]+)''', 'g') AS m
  WHERE p.oid = pg_catalog.to_regproc('tributary._step_rules')
)
SELECT 1 / pg_catalog.count(*)::integer FROM step_rules
WHERE name = 'steps_state_valid' AND definition ~ '\mwaiting\M';
ROLLBACK;
