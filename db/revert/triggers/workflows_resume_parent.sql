-- Revert tributary:triggers/workflows_resume_parent
BEGIN;
DROP TRIGGER _900_resume_parent ON tributary.workflows;
DROP FUNCTION tributary.tg_workflows__resume_parent();
COMMIT;
