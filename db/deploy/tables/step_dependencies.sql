-- Deploy tributary:tables/step_dependencies
-- requires: tables/steps
--
-- The resolved edges of every workflow graph: step_id waits for depends_on_step_id. The index on
-- depends_on_step_id makes unlocking a completed step's dependents O(out-degree).
BEGIN;

CREATE TABLE tributary.step_dependencies (
  step_id bigint NOT NULL REFERENCES tributary.steps (id) ON DELETE CASCADE,
  depends_on_step_id bigint NOT NULL REFERENCES tributary.steps (id) ON DELETE CASCADE,
  CONSTRAINT step_dependencies_pkey PRIMARY KEY (step_id, depends_on_step_id),
  CONSTRAINT step_dependencies_not_self CHECK (step_id <> depends_on_step_id)
);

CREATE INDEX step_dependencies_depends_on_idx ON tributary.step_dependencies (depends_on_step_id);

COMMENT ON TABLE tributary.step_dependencies IS
  'Resolved dependency edges: step_id runs after depends_on_step_id completed. Written by the engine from steps.depends_on.';

COMMIT;
