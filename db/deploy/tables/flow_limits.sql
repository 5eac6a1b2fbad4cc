-- Deploy tributary:tables/flow_limits
-- requires: functions/now
--
-- Global concurrency and rate limits, one row per queue or concurrency key that has one:
--   scope 'queue', name = a queue:       at most max_running running steps of the queue, and at
--                                          most rate_max_starts claims per rate_period;
--   scope 'key',   name = a concurrency key: the same for the steps carrying that key.
-- The rate is a token bucket of capacity rate_max_starts refilled continuously at
-- rate_max_starts per rate_period: tokens and tokens_at are its state, written by claim_step
-- under the row's lock (NULL tokens: a full bucket). claim_step locks a row (FOR UPDATE) only
-- while it claims steps under it, so claimers of one limited queue or key take turns; claimers
-- of unlimited queues never read this table beyond one lookup. Written by
-- set_concurrency_limit(), remove_concurrency_limit(), set_rate_limit(), remove_rate_limit();
-- a row without any limit left is deleted.
BEGIN;

CREATE TABLE tributary.flow_limits (
  scope text NOT NULL,
  name text NOT NULL,
  max_running integer,
  rate_max_starts integer,
  rate_period interval,
  tokens double precision,
  tokens_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT tributary.now(),
  CONSTRAINT flow_limits_pkey PRIMARY KEY (scope, name),
  CONSTRAINT flow_limits_scope_known CHECK (scope IN ('queue', 'key')),
  CONSTRAINT flow_limits_name_bounded CHECK (name <> '' AND pg_catalog.length(name) <= 255),
  CONSTRAINT flow_limits_max_running_positive CHECK (max_running > 0),
  CONSTRAINT flow_limits_rate_max_starts_positive CHECK (rate_max_starts > 0),
  CONSTRAINT flow_limits_rate_period_positive CHECK (rate_period > interval '0' AND rate_period <= interval '1 year'),
  CONSTRAINT flow_limits_rate_set_together CHECK ((rate_max_starts IS NULL) = (rate_period IS NULL)),
  CONSTRAINT flow_limits_some_limit CHECK (max_running IS NOT NULL OR rate_max_starts IS NOT NULL)
);

COMMENT ON TABLE tributary.flow_limits IS
  'Global concurrency and rate limits per queue (scope queue) or concurrency key (scope key), obeyed by claim_step. Written by set_/remove_concurrency_limit and set_/remove_rate_limit.';
COMMENT ON COLUMN tributary.flow_limits.scope IS '''queue'' or ''key'' (a steps.concurrency_key).';
COMMENT ON COLUMN tributary.flow_limits.name IS 'The queue or the concurrency key.';
COMMENT ON COLUMN tributary.flow_limits.max_running IS 'At most this many running steps at once, across every process; NULL: no concurrency limit.';
COMMENT ON COLUMN tributary.flow_limits.rate_max_starts IS 'At most this many claims per rate_period (token bucket of this capacity); NULL: no rate limit.';
COMMENT ON COLUMN tributary.flow_limits.rate_period IS 'The rate''s period: the bucket refills rate_max_starts tokens per rate_period.';
COMMENT ON COLUMN tributary.flow_limits.tokens IS 'Engine: tokens left in the bucket at tokens_at; NULL: full.';
COMMENT ON COLUMN tributary.flow_limits.tokens_at IS 'Engine: when tokens was computed.';
COMMENT ON COLUMN tributary.flow_limits.updated_at IS 'When a limit of this row was last set.';

COMMIT;
