-- Deploy tributary:functions/_check_flow_target
-- requires: schema
--
-- Validates what a limit applies to, for set_/remove_concurrency_limit and set_/remove_rate_limit:
-- TB221 unless the scope is 'queue' or 'key'; TB222 for a NULL or empty name or one longer than
-- 255 characters (the bound of queue names and concurrency keys). Reads nothing, locks nothing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._check_flow_target(p_scope text, p_name text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF p_scope IS NULL OR p_scope NOT IN ('queue', 'key') THEN
    RAISE EXCEPTION 'a limit applies to a ''queue'' or a ''key'', got %', pg_catalog.quote_nullable(p_scope)
      USING ERRCODE = 'TB221',
            DETAIL = pg_catalog.format('limit on %s', pg_catalog.quote_nullable(p_name)),
            HINT = 'Pass ''queue'' with a queue name, or ''key'' with a concurrency key such as ''customer:42''.';
  END IF;
  IF p_name IS NULL OR p_name = '' OR pg_catalog.length(p_name) > 255 THEN
    RAISE EXCEPTION 'a % limit needs a % of 1 to 255 characters, got %', p_scope,
                    CASE p_scope WHEN 'queue' THEN 'queue name' ELSE 'concurrency key' END,
                    CASE WHEN pg_catalog.length(p_name) > 255 THEN pg_catalog.format('%s characters', pg_catalog.length(p_name))
                         ELSE pg_catalog.quote_nullable(p_name) END
      USING ERRCODE = 'TB222';
  END IF;
END;
$$;

COMMENT ON FUNCTION tributary._check_flow_target(text, text) IS
  'Internal: TB221 unless p_scope is queue or key; TB222 for a NULL, empty or over-255-character name.';

COMMIT;
