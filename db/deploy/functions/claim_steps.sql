-- Deploy tributary:functions/claim_steps
-- requires: functions/claim_step
--
-- claim_step() plus, per claimed step, the attempt that produced each of its dependencies'
-- results (dependency_attempts, keyed by task name like dependency_results): a sealed result is
-- bound to its attempt, so an older result of the same step put back in place does not open.
-- claim_step() keeps its columns for callers that read them by position (workers of the first
-- release); the claim itself is claim_step's, one transition in one place. Costs one lookup of
-- the step's edges and its parents' primary keys per claimed step with dependencies.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.claim_steps(
  p_queue text,
  p_worker_id text,
  p_max_steps integer DEFAULT 1
)
RETURNS TABLE (
  step_id bigint,
  workflow_id bigint,
  task_name text,
  kind text,
  args jsonb,
  attempt integer,
  max_attempts integer,
  queue text,
  priority integer,
  timeout interval,
  deadline_at timestamptz,
  lease_expires_at timestamptz,
  dependency_results jsonb,
  dependency_attempts jsonb,
  has_dependents boolean
)
LANGUAGE sql
VOLATILE
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
  SELECT c.step_id, c.workflow_id, c.task_name, c.kind, c.args, c.attempt, c.max_attempts, c.queue,
         c.priority, c.timeout, c.deadline_at, c.lease_expires_at, c.dependency_results,
         CASE WHEN c.dependency_results = '{}' THEN '{}'::jsonb
              ELSE (SELECT pg_catalog.jsonb_object_agg(p.task_name, p.attempt)
                    FROM tributary.steps AS p
                    WHERE p.id = ANY (ARRAY(SELECT d.depends_on_step_id FROM tributary.step_dependencies AS d
                                            WHERE d.step_id = c.step_id)))
         END,
         c.has_dependents
  FROM tributary.claim_step(p_queue, p_worker_id, p_max_steps) AS c;
$$;

COMMENT ON FUNCTION tributary.claim_steps(text, text, integer) IS
  'claim_step plus dependency_attempts: per claimed step, the attempt that produced each dependency''s result, keyed by task name (sealed results are bound to it).';

COMMIT;
