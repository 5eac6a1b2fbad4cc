-- Revert tributary:tables/steps_references
-- The foreign keys come back (validated: a step or edge that points at nothing fails the revert).
BEGIN;

DROP TRIGGER _010_guard_update ON tributary.step_dependencies;
DROP TRIGGER _010_guard_keys ON tributary.workflows;
DROP TRIGGER _010_guard_keys ON tributary.steps;
DROP FUNCTION tributary.tg_refuse_key_change();
DROP TRIGGER _900_truncate_dependencies ON tributary.steps;
DROP FUNCTION tributary.tg_steps__truncate_dependencies();
DROP TRIGGER _900_truncate_steps ON tributary.workflows;
DROP TRIGGER _900_delete_dependencies ON tributary.steps;
DROP TRIGGER _900_delete_steps ON tributary.workflows;
DROP FUNCTION tributary.tg_workflows__truncate_steps();
DROP FUNCTION tributary.tg_steps__delete_dependencies();
DROP FUNCTION tributary.tg_workflows__delete_steps();

ALTER TABLE tributary.steps
  ADD CONSTRAINT steps_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES tributary.workflows (id) ON DELETE CASCADE;
ALTER TABLE tributary.step_dependencies
  ADD CONSTRAINT step_dependencies_step_id_fkey FOREIGN KEY (step_id) REFERENCES tributary.steps (id) ON DELETE CASCADE,
  ADD CONSTRAINT step_dependencies_depends_on_step_id_fkey
    FOREIGN KEY (depends_on_step_id) REFERENCES tributary.steps (id) ON DELETE CASCADE;

COMMIT;
