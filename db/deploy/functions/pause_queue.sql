-- Deploy tributary:functions/pause_queue
-- requires: tables/paused_queues
--
-- Pauses a queue: from the moment this commits, claim_step() claims nothing from it until
-- resume_queue(). Steps already running go on and report as usual; available steps keep their
-- order and attempts. The queue need not have steps (a queue can be paused before its first
-- workflow). Returns false, changing nothing, when it was already paused. TB012 for a NULL or
-- blank queue name. Inserts one row by primary key.
BEGIN;

CREATE OR REPLACE FUNCTION tributary.pause_queue(p_queue text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
SET jit = off
AS $$
BEGIN
  IF p_queue IS NULL OR p_queue = '' THEN
    RAISE EXCEPTION 'queue name must not be NULL or empty, got %', pg_catalog.quote_nullable(p_queue)
      USING ERRCODE = 'TB012';
  END IF;
  INSERT INTO tributary.paused_queues (queue, paused_at) VALUES (p_queue, tributary.now())
  ON CONFLICT (queue) DO NOTHING;
  RETURN FOUND;
END;
$$;

COMMENT ON FUNCTION tributary.pause_queue(text) IS
  'Pauses a queue: claim_step claims nothing from it until resume_queue; its steps keep their order and attempts. False if already paused. TB012 NULL or empty name.';

COMMIT;
