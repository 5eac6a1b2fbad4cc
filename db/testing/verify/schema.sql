-- Verify tributary_test:schema
BEGIN;
SELECT 'tributary_test'::regnamespace;
ROLLBACK;
