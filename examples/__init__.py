"""Runnable examples, one module per workflow pattern.

Each module defines its step args, workers and workflow, and a ``main(dsn)`` that starts a
client, runs one workflow to the end and returns what happened. Run one from the repository
root against any PostgreSQL database (the schema is deployed when missing)::

    DATABASE_URL=postgresql://localhost/app python -m examples.etl_chain

==========================  =================================================================
``etl_chain``               extract -> transform -> load, results passed by task name
``fan_out_fan_in``          one step fans out to parallel steps, one step gathers their results
``conditional_branching``   a decision step's result picks which branch does the work
``retries``                 a flaky step is retried with exponential backoff until it succeeds
``non_retryable``           a bad request stored as a result; ``Discard`` fails a step at once
``batch_partial_failure``   a batch step reports its failed items; the next step decides
``encryption``              args and results sealed in the database with ``EncryptHook``
``queues``                  queues with their own concurrency limits (``max_workers``)
``ai_pipeline``             per-step-type options: queue, attempts and timeout
``delayed_workflow``        a workflow that starts at a given time (``scheduled_at``)
==========================  =================================================================
"""
