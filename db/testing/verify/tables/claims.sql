-- Verify tributary_test:tables/claims
BEGIN;
SELECT step_id, attempt, worker_id, args, dependency_results, claimed_at FROM tributary_test.claims WHERE false;
ROLLBACK;
