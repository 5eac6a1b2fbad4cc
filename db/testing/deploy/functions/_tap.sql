-- Deploy tributary_test:functions/_tap
-- requires: schema
--
-- Reports one pgTAP test for the kit's assertions: ok(p_pass, p_description), and on failure
-- the diagnostics pgTAP's own assertions print (`have:`, `want:`) followed by p_notes, one a
-- line. pgTAP is found where it is installed (its extension's schema, else the schema of
-- ok(boolean, text)) and put on the search_path for this call only, so the kit's functions
-- keep search_path = '' and work whatever the caller's search_path. TB011 without pgTAP.
BEGIN;

CREATE OR REPLACE FUNCTION tributary_test._tap(
  p_pass boolean,
  p_description text,
  p_have text,
  p_want text,
  p_notes text[] DEFAULT '{}'
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_pgtap name;
BEGIN
  SELECT n.nspname INTO v_pgtap
  FROM pg_catalog.pg_extension AS e JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace
  WHERE e.extname = 'pgtap';
  IF NOT FOUND THEN
    SELECT p.pronamespace::regnamespace::name INTO v_pgtap
    FROM pg_catalog.pg_proc AS p
    WHERE p.proname = 'ok' AND p.proargtypes = '16 25'::pg_catalog.oidvector
    ORDER BY p.oid LIMIT 1;
  END IF;
  IF v_pgtap IS NULL THEN
    RAISE EXCEPTION 'the testing kit''s assertions need pgTAP'
      USING ERRCODE = 'TB011', HINT = 'CREATE EXTENSION pgtap;';
  END IF;
  -- Local to this call: the SET clause above restores search_path when it returns.
  PERFORM pg_catalog.set_config('search_path', pg_catalog.quote_ident(v_pgtap) || ', pg_catalog', true);
  RETURN ok(coalesce(p_pass, false), p_description)
         || CASE WHEN p_pass THEN '' ELSE E'\n' || diag(
              '        have: ' || coalesce(p_have, 'NULL') || E'\n        want: ' || coalesce(p_want, 'NULL')
              || coalesce((SELECT pg_catalog.string_agg(E'\n        ' || n.note, '' ORDER BY n.ord)
                           FROM unnest(p_notes) WITH ORDINALITY AS n(note, ord)), ''))
            END;
END;
$$;

COMMENT ON FUNCTION tributary_test._tap(boolean, text, text, text, text[]) IS
  'Testing kit, internal: pgTAP''s ok() for an assertion, with have/want diagnostics and notes on failure. TB011 without pgTAP.';

COMMIT;
