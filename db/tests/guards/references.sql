-- The references of steps and edges without foreign keys (tables/steps_references): a deleted
-- workflow takes its steps and their edges with it (a statement of several workflows included),
-- deleted steps take the edges at both of their ends, nothing else is touched; nobody, the owner
-- included, changes the keys the references use; a TRUNCATE of workflows leaves no step or edge,
-- one of steps no edge, each needs the truncating role's own privilege, a statement may name
-- several of the tables, and a table of the caller's that refers to steps goes with them. (A step
-- of an unknown workflow: direct_insert/errors.sql.)
BEGIN;
SELECT plan(22);

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

-- The keys do not change, not even for the owner (these tests run as the owner).
SELECT tributary_test.step_id(:kept, 'b') AS b, tributary_test.step_id(:kept, 'd') AS d \gset
SELECT throws_ok(format('UPDATE tributary.steps SET workflow_id = workflow_id + 1000000 WHERE id = %s', :b),
  'TB013', format('step %s (task "b") keeps its id and its workflow', :b),
  'a step''s workflow_id does not change');
SELECT throws_ok(format('UPDATE tributary.steps SET id = id + 1000000 WHERE id = %s', :b),
  'TB013', NULL, '... nor its id');
SELECT lives_ok(format('UPDATE tributary.steps SET workflow_id = workflow_id, priority = 7 WHERE id = %s', :b),
  '... an UPDATE that names workflow_id without changing it goes through');
SELECT throws_ok(format('UPDATE tributary.workflows SET id = id + 1000000 WHERE id = %s', :kept),
  'TB013', format('workflow %s keeps its id', :kept), 'a workflow''s id does not change');
SELECT throws_ok(format('UPDATE tributary.step_dependencies SET depends_on_step_id = %s WHERE step_id = %s', :b, :d),
  'TB013', NULL, 'an edge does not change');

-- TRUNCATE: each needs the truncating role's privilege on steps and edges (the triggers run as it).
SELECT role_name AS worker_role FROM tributary.roles WHERE purpose = 'worker' \gset
GRANT TRUNCATE ON tributary.workflows, tributary.events TO :worker_role;
SELECT throws_ok(format('SET LOCAL ROLE %I; TRUNCATE tributary.workflows CASCADE', :'worker_role'), '42501', NULL,
  'a role allowed to truncate workflows but not steps cannot truncate workflows');
RESET ROLE;
REVOKE TRUNCATE ON tributary.workflows, tributary.events FROM :worker_role;
TRUNCATE tributary.steps;
SELECT is((SELECT count(*) FROM tributary.step_dependencies), 0::bigint, 'a TRUNCATE of steps truncates step_dependencies');

-- TRUNCATE (the owner's; events goes with CASCADE, by its foreign key).
SELECT tributary_test.chain(2, 'refs') AS more \gset
TRUNCATE tributary.workflows CASCADE;
SELECT is((SELECT count(*) FROM tributary.steps), 0::bigint, 'a TRUNCATE of workflows truncates steps');
SELECT is((SELECT count(*) FROM tributary.step_dependencies), 0::bigint, '... and step_dependencies');

-- Several of the tables in one statement, RESTART IDENTITY.
SELECT tributary_test.chain(2, 'refs') AS more \gset
SELECT lives_ok('TRUNCATE tributary.workflows, tributary.steps RESTART IDENTITY CASCADE',
  'TRUNCATE may name workflows and steps together');
SELECT results_eq('SELECT (SELECT count(*) FROM tributary.step_dependencies), (SELECT last_value FROM tributary.steps_id_seq)',
  $$VALUES (0::bigint, 1::bigint)$$, '... the edges go too, and the ids of steps restart');
SELECT tributary_test.chain(2, 'refs') AS more \gset
SELECT lives_ok('TRUNCATE tributary.steps, tributary.step_dependencies', 'TRUNCATE may name steps and step_dependencies together');

-- A caller's table that refers to steps goes with a TRUNCATE of workflows ... CASCADE.
SELECT tributary_test.chain(2, 'refs') AS more \gset
CREATE TABLE public.step_notes (step_id bigint REFERENCES tributary.steps (id));
INSERT INTO public.step_notes SELECT id FROM tributary.steps;
TRUNCATE tributary.workflows CASCADE;
SELECT results_eq('SELECT (SELECT count(*) FROM tributary.steps), (SELECT count(*) FROM public.step_notes)',
  $$VALUES (0::bigint, 0::bigint)$$, 'a TRUNCATE of workflows ... CASCADE takes a caller''s table that refers to steps');

SELECT * FROM finish();
ROLLBACK;
