-- Revert tributary:functions/_reopen_steps
BEGIN;
DROP FUNCTION tributary._reopen_steps(bigint, bigint[]);
COMMIT;
