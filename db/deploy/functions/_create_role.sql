-- Deploy tributary:functions/_create_role
-- requires: tables/roles
--
-- Deploy-time helper of the roles/* changes: makes sure the NOLOGIN group role of p_purpose
-- exists, records its name in tributary.roles and makes it a member of the roles of p_includes
-- (so it can do what they can). The name is tributary_<purpose>, or the value of the setting
-- tributary.<purpose>_role when the deploying session sets it (PGOPTIONS or ALTER DATABASE).
-- Roles are shared by every database of the cluster, and many databases may deploy at once:
-- a role or membership that exists is kept as it is, and one created by a concurrent deploy
-- (unique_violation or duplicate_object) counts as existing.
BEGIN;

CREATE OR REPLACE FUNCTION tributary._create_role(p_purpose text, p_includes text[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
DECLARE
  v_name name := coalesce(NULLIF(pg_catalog.current_setting('tributary.' || p_purpose || '_role', true), ''),
                          'tributary_' || p_purpose);
  v_included name;
BEGIN
  FOR v_attempt IN 1 .. 3 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_name);
    BEGIN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_name);
      EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', v_name,
        pg_catalog.format('Tributary %s group role (NOLOGIN): grant it to LOGIN roles.', p_purpose));
    EXCEPTION WHEN unique_violation OR duplicate_object THEN
      NULL;  -- a concurrent deploy created it: the next round finds it
    END;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_name AND (r.rolcanlogin OR r.rolsuper)) THEN
    RAISE WARNING 'role % exists and can log in or is a superuser: Tributary expects a NOLOGIN group role', v_name;
  END IF;

  INSERT INTO tributary.roles (purpose, role_name) VALUES (p_purpose, v_name);

  FOR v_included IN
    SELECT r.role_name FROM tributary.roles AS r WHERE r.purpose = ANY (p_includes)
  LOOP
    CONTINUE WHEN pg_catalog.pg_has_role(v_name, v_included, 'MEMBER');
    BEGIN
      EXECUTE pg_catalog.format('GRANT %I TO %I', v_included, v_name);
    EXCEPTION WHEN unique_violation THEN
      NULL;  -- a concurrent deploy granted it
    END;
  END LOOP;
END;
$$;

REVOKE ALL ON FUNCTION tributary._create_role(text, text[]) FROM PUBLIC;

COMMENT ON FUNCTION tributary._create_role(text, text[]) IS
  'Internal, deploy only: creates (if missing) the NOLOGIN group role of a purpose, records it in tributary.roles, makes it a member of the roles of p_includes.';

COMMIT;
