-- Deploy tributary:columns/settings_max_map_elements
-- requires: tables/settings
--
-- The most elements a map step may expand to. A map over a longer array is discarded (TB324),
-- contained to the map step: the dependency that produced the array still completes.
BEGIN;

ALTER TABLE tributary.settings
  ADD COLUMN max_map_elements integer NOT NULL DEFAULT 10000,
  ADD CONSTRAINT settings_max_map_elements_bounded CHECK (max_map_elements BETWEEN 0 AND 1000000);

COMMENT ON COLUMN tributary.settings.max_map_elements IS
  'Most elements a map step expands to (0 to 1,000,000; default 10,000); a map over a longer array is discarded (TB324).';

COMMIT;
