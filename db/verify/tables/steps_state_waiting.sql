-- Verify tributary:tables/steps_state_waiting
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.steps'::regclass AND conname = 'steps_state_valid'
  AND pg_catalog.pg_get_constraintdef(oid) LIKE '%''waiting''%';
ROLLBACK;
