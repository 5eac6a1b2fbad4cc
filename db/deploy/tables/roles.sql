-- Deploy tributary:tables/roles
-- requires: schema
--
-- The group roles this database grants to, by purpose. PostgreSQL roles belong to the whole
-- cluster while the schema belongs to one database, so the names are recorded here when the
-- roles/* changes run (default tributary_<purpose>, or the name given in the setting
-- tributary.<purpose>_role at deploy time), and every grant of a later change reads them here.
BEGIN;

CREATE TABLE tributary.roles (
  purpose text PRIMARY KEY,
  role_name name NOT NULL,
  CONSTRAINT roles_purpose_valid CHECK (purpose IN ('worker', 'submitter', 'reader', 'admin')),
  CONSTRAINT roles_role_name_unique UNIQUE (role_name)
);

COMMENT ON TABLE tributary.roles IS
  'The NOLOGIN group roles this database grants to, by purpose (worker, submitter, reader, admin). Grant one to a LOGIN role to let it work, submit, read or administer.';
COMMENT ON COLUMN tributary.roles.purpose IS 'worker: claims and reports steps; submitter: creates and cancels workflows (and reads); reader: views and get_workflow; admin: settings, retries, pruning (and all of the others).';
COMMENT ON COLUMN tributary.roles.role_name IS 'The role''s name in the cluster: tributary_<purpose> unless the setting tributary.<purpose>_role named another at deploy time.';

COMMIT;
