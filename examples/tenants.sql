-- Tenant isolation for submitters and readers, with row-level security on a tenant column.
-- See docs/security.md#isolating-tenants; tests/test_tenants.py applies this file as it is.
--
-- Each tenant is a LOGIN role, a member of app_tenants and of tributary_submitter or
-- tributary_reader. A row belongs to the session user that created it; a session of a member of
-- app_tenants sees and creates only its own rows, in every function and view; any other session
-- (workers, admins, the owner) sees every row. Run it as the owner of schema tributary, which
-- must not be a superuser: superusers bypass row-level security, and the engine's functions run
-- as the owner (SECURITY DEFINER).
BEGIN;

ALTER TABLE tributary.workflows ADD COLUMN tenant name NOT NULL DEFAULT session_user;
ALTER TABLE tributary.steps ADD COLUMN tenant name NOT NULL DEFAULT session_user;

-- FORCE: the policies apply to the owner too, so to the engine's functions a tenant calls.
ALTER TABLE tributary.workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE tributary.workflows FORCE ROW LEVEL SECURITY;
ALTER TABLE tributary.steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE tributary.steps FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON tributary.workflows
  USING (tenant = session_user OR NOT pg_catalog.pg_has_role(session_user, 'app_tenants', 'MEMBER'))
  WITH CHECK (tenant = session_user OR NOT pg_catalog.pg_has_role(session_user, 'app_tenants', 'MEMBER'));

-- A tenant's step must also belong to a workflow the tenant sees (the subquery is itself
-- filtered by the policy above): no step joins another tenant's workflow.
CREATE POLICY tenant_isolation ON tributary.steps
  USING (tenant = session_user OR NOT pg_catalog.pg_has_role(session_user, 'app_tenants', 'MEMBER'))
  WITH CHECK (NOT pg_catalog.pg_has_role(session_user, 'app_tenants', 'MEMBER')
              OR (tenant = session_user AND workflow_id IN (SELECT w.id FROM tributary.workflows AS w)));

-- A step the engine creates in a session that is not a tenant's belongs to its workflow's tenant:
-- the elements of a map step are created by the worker that completed what the map maps over.
-- So a tenant sees every step of its workflows, and deleting one (prune_finished, for a tenant who
-- is also an admin) deletes them all: the trigger that deletes a deleted workflow's steps runs
-- under the deleting session's policies, and sees only the steps they let it see.
-- SECURITY DEFINER: it reads workflows.tenant, which the inserting role (a submitter's plain
-- INSERT) may not read.
CREATE FUNCTION tributary.tg_steps__tenant_of_workflow()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
  NEW.tenant := (SELECT w.tenant FROM tributary.workflows AS w WHERE w.id = NEW.workflow_id);
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION tributary.tg_steps__tenant_of_workflow() IS
  'Tenants recipe: a step inserted by a session that is not a tenant''s gets its workflow''s tenant.';
CREATE TRIGGER _050_tenant_of_workflow BEFORE INSERT ON tributary.steps FOR EACH ROW
  WHEN (NOT pg_catalog.pg_has_role(session_user, 'app_tenants', 'MEMBER'))
  EXECUTE FUNCTION tributary.tg_steps__tenant_of_workflow();
REVOKE ALL ON FUNCTION tributary.tg_steps__tenant_of_workflow() FROM PUBLIC;
COMMENT ON TRIGGER _050_tenant_of_workflow ON tributary.steps IS
  'Tenants recipe: the steps the engine creates for a tenant''s workflow in another session are the tenant''s.';

COMMIT;
