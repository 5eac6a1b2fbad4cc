-- Deploy tributary:indexes/workflows_name_created_at_idx
-- requires: tables/workflows
--
-- list_workflows filtered by name (newest first within a name, a page at a time) and by a name
-- prefix (a range of this index; text_pattern_ops makes LIKE 'prefix%' usable whatever the
-- database's collation).
BEGIN;

CREATE INDEX workflows_name_created_at_idx ON tributary.workflows (name text_pattern_ops, created_at, id);

COMMENT ON INDEX tributary.workflows_name_created_at_idx IS
  'list_workflows by name (newest first) and by name prefix (text_pattern_ops: LIKE ''prefix%'' in any collation).';

COMMIT;
