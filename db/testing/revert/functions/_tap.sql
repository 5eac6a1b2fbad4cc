-- Revert tributary_test:functions/_tap
BEGIN;
DROP FUNCTION tributary_test._tap(boolean, text, text, text, text[]);
COMMIT;
