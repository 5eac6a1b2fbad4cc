-- Deploy tributary:columns/settings_hand_back
-- requires: tables/settings
--
-- Two settings of hand_back_step(), which a worker process calls for a step it cannot run (no
-- worker for its kind, or not the key its payloads are sealed with): hand_back_delay, how long
-- the step waits before it is claimable again (so the same process does not spin on it), and
-- hand_back_grace, how long after the step's first hand-back of a streak it is discarded
-- instead, since no process could run it. Added to the one settings row with their defaults.
BEGIN;

ALTER TABLE tributary.settings
  ADD COLUMN hand_back_delay interval NOT NULL DEFAULT '5 seconds',
  ADD COLUMN hand_back_grace interval NOT NULL DEFAULT '10 minutes',
  ADD CONSTRAINT settings_hand_back_delay_not_negative CHECK (hand_back_delay >= interval '0'),
  ADD CONSTRAINT settings_hand_back_grace_not_negative CHECK (hand_back_grace >= interval '0'),
  -- At most a year, as every interval of the settings: now() + the delay stays a timestamp.
  ADD CONSTRAINT settings_hand_back_delay_bounded CHECK (hand_back_delay <= interval '1 year'),
  ADD CONSTRAINT settings_hand_back_grace_bounded CHECK (hand_back_grace <= interval '1 year');

COMMENT ON COLUMN tributary.settings.hand_back_delay IS
  'hand_back_step: how long a handed-back step waits before it is claimable again (so the process that could not run it does not spin on it); 0 to 1 year.';
COMMENT ON COLUMN tributary.settings.hand_back_grace IS
  'hand_back_step: how long after a step''s first hand-back (of a streak) it is discarded instead, as no worker process could run it; 0 to 1 year.';

COMMIT;
