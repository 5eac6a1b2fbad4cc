-- Deploy tributary:columns/steps_maps_branches
-- requires: tables/steps_state_skipped
--
-- Columns of map steps and branches, set by create_workflow from the task options map, run_if
-- and run_when, and by the engine on the elements of a map.
--
-- A map step (map_over set) runs once per element of an array in the result of its dependency
-- map_over (at map_path, keys separated by dots; the whole result when NULL). When its
-- dependencies completed, the engine expands it: one element step per array element
-- (map_step_id = the map step, map_index = the element's position from 0), map_size = their
-- number, and the map step waits (pending) with remaining_deps counting its unfinished
-- elements; the last element to complete gives it the array of their results in element order.
--
-- run_if: {"<dependency>": <jsonb>, ...}: the step is skipped unless each named dependency's
-- result contains (@>) the given value. run_when: all_completed (the default: any skipped
-- dependency skips the step) or any_completed (a join: runs once every dependency finished,
-- when at least one of them completed and was taken; skipped when none was).
BEGIN;

ALTER TABLE tributary.steps
  ADD COLUMN map_over text,
  ADD COLUMN map_path text,
  ADD COLUMN map_size integer,
  ADD COLUMN map_step_id bigint,  -- no foreign key: it would need an index for every delete of a step
  ADD COLUMN map_index integer,
  ADD COLUMN run_if jsonb,
  ADD COLUMN run_when text NOT NULL DEFAULT 'all_completed',
  ADD CONSTRAINT steps_run_when_valid CHECK (run_when IN ('all_completed', 'any_completed')),
  ADD CONSTRAINT steps_run_if_is_object CHECK (jsonb_typeof(run_if) = 'object'),
  ADD CONSTRAINT steps_map_over_is_dependency CHECK (map_over IS NULL OR map_over = ANY (depends_on)),
  ADD CONSTRAINT steps_map_path_needs_map_over CHECK (map_path IS NULL OR map_over IS NOT NULL),
  ADD CONSTRAINT steps_map_size_needs_map_over CHECK (map_size IS NULL OR (map_over IS NOT NULL AND map_size >= 0)),
  ADD CONSTRAINT steps_map_element_has_index CHECK ((map_step_id IS NULL) = (map_index IS NULL) AND map_index >= 0);

COMMENT ON COLUMN tributary.steps.map_over IS 'Map step: the dependency whose result holds the array the step maps over (task option map.over).';
COMMENT ON COLUMN tributary.steps.map_path IS 'Map step: where the array is in that result, keys (or array positions) separated by dots; NULL: the whole result.';
COMMENT ON COLUMN tributary.steps.map_size IS 'Map step: number of elements, set when it expands; NULL before.';
COMMENT ON COLUMN tributary.steps.map_step_id IS 'Element of a map: the map step it belongs to.';
COMMENT ON COLUMN tributary.steps.map_index IS 'Element of a map: its position in the array, from 0.';
COMMENT ON COLUMN tributary.steps.run_if IS 'Branch condition: {"dependency": value}; the step is skipped unless each such dependency''s result contains the value (jsonb @>).';
COMMENT ON COLUMN tributary.steps.run_when IS 'all_completed: runs when every dependency completed (skipped if one was skipped); any_completed: runs when every dependency finished and at least one completed.';

COMMIT;
