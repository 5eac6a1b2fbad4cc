-- Deploy tributary:schema
--
-- Tributary runs DAG workflows inside PostgreSQL.
--
-- A workflow (tributary.workflows) is a set of named steps (tributary.steps). A step names the
-- steps it depends on (steps.depends_on, by task name); the resolved edges live in
-- tributary.step_dependencies. A step is `pending` while dependencies are unfinished,
-- `available` once all of them completed (claimable when scheduled_at has passed), `running`
-- while a worker holds it under a lease, and ends `completed`, `discarded` (attempts exhausted
-- or a non-retryable error) or `cancelled` (its workflow was cancelled or an upstream step can
-- never complete). The workflow is `running` until no step can run any more, then it is
-- finalized exactly once: `completed`, `failed` or `cancelled`.
--
-- Workers call claim_step / complete_step / fail_step / heartbeat; every state transition is
-- made by those functions, never by the caller. See docs/sql-api.md and docs/states.md.
--
-- Every function runs with settings of its own: search_path '' (every name is schema-qualified,
-- nothing can be hijacked) and jit off (these calls never repay JIT compilation). The functions
-- workers call over and over also run with plan_cache_mode force_custom_plan: each statement is
-- planned for the values at hand, so a generic plan cached while the tables were small never
-- goes on scanning them as history grows. Functions that insert or delete many rows do not: the
-- setting would re-plan every foreign-key check, row by row.
BEGIN;

CREATE SCHEMA tributary;

COMMENT ON SCHEMA tributary IS
  'Tributary: DAG workflows run by PostgreSQL. Create with create_workflow(), work with claim_step()/complete_step()/fail_step()/heartbeat(), administer with cancel_workflow()/retry_workflow()/prune_finished() and the views.';

COMMIT;
