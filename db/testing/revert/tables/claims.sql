-- Revert tributary_test:tables/claims
BEGIN;
DROP TABLE tributary_test.claims;
COMMIT;
