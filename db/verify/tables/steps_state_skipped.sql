-- Verify tributary:tables/steps_state_skipped
BEGIN;
SELECT 1 / (pg_catalog.count(*) = 2)::integer FROM pg_catalog.pg_constraint
WHERE conrelid = 'tributary.steps'::regclass
  AND conname IN ('steps_state_valid', 'steps_finalized_at_set_iff_final')
  AND pg_catalog.pg_get_constraintdef(oid) LIKE '%skipped%';
ROLLBACK;
