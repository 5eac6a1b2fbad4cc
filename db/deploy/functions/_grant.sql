-- Deploy tributary:functions/_grant
-- requires: tables/roles
--
-- Deploy-time helper of the grants/* changes: GRANT p_privileges TO the role of p_purpose (as
-- recorded in tributary.roles), or REVOKE them FROM it when p_revoke. p_privileges is the text
-- between GRANT and TO, e.g. 'EXECUTE ON FUNCTION tributary.claim_step(text, text, integer)'.
-- A change that adds a public function grants it with one call per role that may call it:
--   SELECT tributary._grant('worker', 'EXECUTE ON FUNCTION tributary.my_function(bigint)');
BEGIN;

CREATE OR REPLACE FUNCTION tributary._grant(p_purpose text, p_privileges text, p_revoke boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_role name;
BEGIN
  SELECT r.role_name INTO v_role FROM tributary.roles AS r WHERE r.purpose = p_purpose;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no role is recorded for purpose "%"', p_purpose
      USING ERRCODE = 'TB012', HINT = 'Deploy the roles/* changes first.';
  END IF;
  IF p_revoke THEN
    EXECUTE pg_catalog.format('REVOKE %s FROM %I', p_privileges, v_role);
  ELSE
    EXECUTE pg_catalog.format('GRANT %s TO %I', p_privileges, v_role);
  END IF;
END;
$$;

REVOKE ALL ON FUNCTION tributary._grant(text, text, boolean) FROM PUBLIC;

COMMENT ON FUNCTION tributary._grant(text, text, boolean) IS
  'Internal, deploy only: GRANT (or with p_revoke REVOKE) p_privileges to the group role of a purpose recorded in tributary.roles.';

COMMIT;
