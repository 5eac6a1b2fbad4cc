-- Revert tributary:functions/_expand_maps
BEGIN;
DROP FUNCTION tributary._expand_maps(bigint[]);
COMMIT;
