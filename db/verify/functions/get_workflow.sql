-- Verify tributary:functions/get_workflow
BEGIN;
SELECT 1 / pg_catalog.has_function_privilege('tributary.get_workflow(bigint)', 'execute')::int;
-- The reworked document carries each step's depends_on and args.
SELECT 1 / (pg_catalog.strpos(pg_catalog.pg_get_functiondef('tributary.get_workflow(bigint)'::regprocedure),
                              '''depends_on'', pg_catalog.to_jsonb(s.depends_on), ''args'', s.args') > 0)::int;
ROLLBACK;
