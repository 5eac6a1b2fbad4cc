-- The references of steps and edges without foreign keys (tables/steps_references): a deleted
-- workflow takes its steps and their edges with it (a statement of several workflows included),
-- deleted steps take the edges at both of their ends, a TRUNCATE of workflows leaves no step or
-- edge, and nothing else is touched. (A step of an unknown workflow: direct_insert/errors.sql.)
BEGIN;
SELECT plan(11);

SELECT results_eq(
  $$SELECT c.conrelid::regclass::text COLLATE "default", c.conname::text COLLATE "default" FROM pg_catalog.pg_constraint AS c
    WHERE c.contype = 'f' AND c.connamespace = 'tributary'::regnamespace ORDER BY 1$$,
  $$VALUES ('tributary.events', 'events_workflow_id_fkey')$$,
  'no foreign key on steps or step_dependencies; events keeps its own');

CREATE FUNCTION pg_temp.counts(p_workflows bigint[]) RETURNS TABLE (steps bigint, edges bigint) LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM tributary.steps WHERE workflow_id = ANY (p_workflows)),
         (SELECT count(*) FROM tributary.step_dependencies AS d
          WHERE EXISTS (SELECT 1 FROM tributary.steps AS s
                        WHERE s.id IN (d.step_id, d.depends_on_step_id) AND s.workflow_id = ANY (p_workflows)))
$$;

SELECT tributary_test.diamond('refs') AS gone1, tributary_test.chain(3, 'refs') AS gone2,
       tributary_test.diamond('refs') AS kept \gset
SELECT array_agg(id) AS gone_steps FROM tributary.steps WHERE workflow_id IN (:gone1, :gone2) \gset
SELECT is((SELECT count(*) FROM tributary.step_dependencies WHERE step_id = ANY (:'gone_steps')), 6::bigint,
  'setup: the diamond and the 3-step chain have 6 edges');

-- One statement deletes two workflows (as prune_finished does).
DELETE FROM tributary.workflows WHERE id IN (:gone1, :gone2);
SELECT results_eq(format('SELECT * FROM pg_temp.counts(ARRAY[%s, %s])', :gone1, :gone2), $$VALUES (0::bigint, 0::bigint)$$,
  'deleting two workflows in one statement deletes their steps');
SELECT is((SELECT count(*) FROM tributary.step_dependencies
           WHERE step_id = ANY (:'gone_steps') OR depends_on_step_id = ANY (:'gone_steps')), 0::bigint,
  '... and every edge from or to them');
SELECT results_eq(format('SELECT * FROM pg_temp.counts(ARRAY[%s])', :kept), $$VALUES (4::bigint, 4::bigint)$$,
  '... and leaves the other workflow''s 4 steps and 4 edges');

-- Deleted steps take the edges at both ends: delete the diamond's root alone, from a trigger
-- (the only way a step is deleted without its workflow: directly, it is refused with TB013).
SELECT tributary_test.step_id(:kept, 'a') AS root \gset
CREATE TEMP TABLE doomed (id bigint);
CREATE FUNCTION pg_temp.delete_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM tributary.steps WHERE id IN (SELECT id FROM doomed);
  RETURN NULL;
END;
$$;
CREATE TRIGGER delete_doomed AFTER INSERT ON doomed FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.delete_doomed();
SELECT throws_ok(format('DELETE FROM tributary.steps WHERE id = %s', :root), 'TB013', NULL,
  'a step is not deleted on its own');
SELECT is((SELECT count(*) FROM tributary.step_dependencies WHERE depends_on_step_id = :root), 2::bigint,
  'setup: two steps depend on the root');
INSERT INTO doomed VALUES (:root);
SELECT is((SELECT count(*) FROM tributary.step_dependencies WHERE depends_on_step_id = :root), 0::bigint,
  'a step deleted from a trigger takes the edges that point at it');
SELECT results_eq(format('SELECT * FROM pg_temp.counts(ARRAY[%s])', :kept), $$VALUES (3::bigint, 2::bigint)$$,
  '... and only those: the two edges into the sink stay');

-- TRUNCATE (the owner's; events goes with CASCADE, by its foreign key).
SELECT tributary_test.chain(2, 'refs') AS more \gset
TRUNCATE tributary.workflows CASCADE;
SELECT is((SELECT count(*) FROM tributary.steps), 0::bigint, 'a TRUNCATE of workflows truncates steps');
SELECT is((SELECT count(*) FROM tributary.step_dependencies), 0::bigint, '... and step_dependencies');

SELECT * FROM finish();
ROLLBACK;
