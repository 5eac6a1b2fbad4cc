-- Deploy tributary_test:tables/claims
-- requires: schema
--
-- What tributary.claim_step handed the fake worker (tributary_test.claim and run), one row per
-- claimed attempt: dependency_results_are compares against what the step really received. No
-- foreign key: a test may prune the workflow afterwards. A ROLLBACK empties it with the rest.
BEGIN;

CREATE TABLE tributary_test.claims (
  step_id bigint NOT NULL,
  attempt integer NOT NULL,
  worker_id text NOT NULL,
  args jsonb,
  dependency_results jsonb NOT NULL,
  claimed_at timestamptz NOT NULL,
  CONSTRAINT claims_pkey PRIMARY KEY (step_id, attempt)
);

COMMENT ON TABLE tributary_test.claims IS
  'Testing kit: the rows tributary.claim_step returned to tributary_test.claim/run, one per claimed attempt.';
COMMENT ON COLUMN tributary_test.claims.dependency_results IS
  'The results of the step''s direct dependencies, keyed by task name, as claim_step delivered them.';

COMMIT;
