-- Revert tributary:functions/_cancel_downstream
BEGIN;
DROP FUNCTION tributary._cancel_downstream(bigint, text);
COMMIT;
