-- Verify tributary:functions/complete_steps_and_claim
BEGIN;
SELECT 'tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[])'::regprocedure;
ROLLBACK;
