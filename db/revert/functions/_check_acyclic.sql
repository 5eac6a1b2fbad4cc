-- Revert tributary:functions/_check_acyclic
BEGIN;
DROP FUNCTION tributary._check_acyclic(bigint);
COMMIT;
