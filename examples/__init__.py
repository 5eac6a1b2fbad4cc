"""Runnable examples, one module per workflow pattern.

Each module defines its step args, workers and workflow, an ``app()`` factory returning its
``Config`` (queues, workers, hooks, options; ``scheduled_report``'s ``app(dsn)`` returns a
``Client``, because defining its schedule needs the database), and a ``main(dsn)`` that starts a client on that
config, runs its workflow (or workflows) to the end and returns what happened. Run one from the repository
root against any PostgreSQL database (the schema is deployed when missing)::

    DATABASE_URL=postgresql://localhost/app python -m examples.etl_chain

Every module exposes ``app``, so ``tributary worker`` can run its workers alone, in their own
process, for workflows that other clients create; it works the queues until SIGTERM or SIGINT
and expects the schema deployed (``tributary migrate up``, or one run of the module above)::

    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.<module>:app

==========================  =================================================================
``etl_chain``               extract -> transform -> load, results passed by task name
``fan_out_fan_in``          one step fans out to parallel steps, one step gathers their results
``conditional_branching``   a decision step's result picks the branch that runs; the other is skipped
``retries``                 a flaky step is retried with exponential backoff until it succeeds
``non_retryable``           a bad request stored as a result; ``Discard`` fails a step at once
``batch_partial_failure``   a batch step reports its failed items; the next step decides
``encryption``              args and results sealed in the database with ``EncryptHook``
``encrypted_waits_maps``    ``EncryptHook`` with a map, a wait, a sleep and a child workflow
``queues``                  queues with their own concurrency limits (``max_workers``)
``ai_pipeline``             per-step-type options: queue, attempts and timeout
``delayed_workflow``        a workflow that starts at a given time (``scheduled_at``)
``scheduled_report``        a recurring workflow from a cron schedule (``client.schedule``)
``map_step``                one step per element of a list an earlier step returned (``map_over``)
``quickstart``              the README's quick start: extract -> load, a sync and an async handler
``approval_flow``           a durable wait for a person's decision (``add_wait``, ``send_event``)
``sleep_steps``             a workflow pauses between two steps (``add_sleep``)
``child_workflows``         a step starts a child workflow decided at run time (``step.spawn``)
``started_workflows``       a step starts workflows with its completion (``step.start_workflow``)
``flow_control``            global concurrency and rate limits shared by every worker process
==========================  =================================================================
"""
