-- Verify tributary:roles/admin
BEGIN;
SELECT 1 / pg_catalog.count(*)::integer
FROM tributary.roles AS t JOIN pg_catalog.pg_roles AS r ON r.rolname = t.role_name
WHERE t.purpose = 'admin' AND NOT r.rolcanlogin;
ROLLBACK;
