-- Deploy tributary:tables/settings
-- requires: schema
--
-- One row of engine-wide defaults, so a plain SQL caller gets sane behaviour and a DBA can tune
-- it with a single UPDATE. Steps copy the option defaults when they are created; the backoff
-- cap and lease length are read when a step fails or is claimed.
BEGIN;

CREATE TABLE tributary.settings (
  singleton boolean PRIMARY KEY DEFAULT true,
  default_queue text NOT NULL DEFAULT 'default',
  default_priority integer NOT NULL DEFAULT 0,
  default_max_attempts integer NOT NULL DEFAULT 5,
  default_timeout interval,
  retry_backoff_base interval NOT NULL DEFAULT '1 second',
  retry_backoff_cap interval NOT NULL DEFAULT '10 minutes',
  lease_duration interval NOT NULL DEFAULT '60 seconds',
  CONSTRAINT settings_one_row CHECK (singleton),
  CONSTRAINT settings_queue_not_blank CHECK (default_queue <> ''),
  CONSTRAINT settings_max_attempts_positive CHECK (default_max_attempts >= 1),
  CONSTRAINT settings_timeout_positive CHECK (default_timeout > interval '0'),
  CONSTRAINT settings_backoff_positive CHECK (retry_backoff_base >= interval '0' AND retry_backoff_cap >= retry_backoff_base),
  CONSTRAINT settings_lease_positive CHECK (lease_duration > interval '0')
);

INSERT INTO tributary.settings DEFAULT VALUES;

COMMENT ON TABLE tributary.settings IS
  'Engine-wide defaults (exactly one row). Task options omitted by a caller take these values when the step is created.';
COMMENT ON COLUMN tributary.settings.default_queue IS 'Queue of a step that names none.';
COMMENT ON COLUMN tributary.settings.default_priority IS 'Priority of a step that names none; higher runs first.';
COMMENT ON COLUMN tributary.settings.default_max_attempts IS 'Attempts a step gets before it is discarded.';
COMMENT ON COLUMN tributary.settings.default_timeout IS 'Per-attempt time limit of a step that names none; NULL means no limit (the lease still covers a dead worker).';
COMMENT ON COLUMN tributary.settings.retry_backoff_base IS 'Default delay before the 2nd attempt; doubles per attempt (with jitter) up to retry_backoff_cap.';
COMMENT ON COLUMN tributary.settings.retry_backoff_cap IS 'Longest delay between two attempts.';
COMMENT ON COLUMN tributary.settings.lease_duration IS 'How long a claim holds a step without a heartbeat before rescue_expired_steps() may take it back.';

COMMIT;
