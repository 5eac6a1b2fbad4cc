"""Tributary: DAG workflows run by PostgreSQL.

The engine is SQL (schema ``tributary``); this package registers typed workers, creates
workflows and reports step outcomes to the engine.
"""

from tributary.args import InsertOpts, StepArgs
from tributary.async_client import AsyncClient
from tributary.client import Client, StepOutcome, WorkflowResult
from tributary.config import Config, QueueConfig
from tributary.encryption import EncryptHook, SecretBoxEncryptor
from tributary.errors import (
    ConfigError,
    CycleDetected,
    DecryptionError,
    DependencyNotFound,
    Discard,
    DuplicateTaskName,
    EmptyWorkflow,
    FlowLimitError,
    InvalidBranch,
    InvalidMapTask,
    InvalidTask,
    MissingKey,
    ResultEncodeError,
    StaleAttempt,
    StepCancelled,
    StepTimedOut,
    TributaryError,
    UnknownDependency,
    WaitTimeout,
    WorkerDefinitionError,
    WorkflowValidationError,
)
from tributary.flow_limits import FlowLimit
from tributary.hooks import Hook, LoggingHook, MetricsHook, RuntimeEvent, TaskPayload, WorkPayload
from tributary.step import Step
from tributary.worker import Worker, Workers
from tributary.workflow import WorkflowBuilder, WorkflowSpec

__all__ = [
    "AsyncClient",
    "Client",
    "Config",
    "ConfigError",
    "CycleDetected",
    "DecryptionError",
    "DependencyNotFound",
    "Discard",
    "DuplicateTaskName",
    "EmptyWorkflow",
    "EncryptHook",
    "FlowLimit",
    "FlowLimitError",
    "Hook",
    "InsertOpts",
    "InvalidBranch",
    "InvalidMapTask",
    "InvalidTask",
    "LoggingHook",
    "MetricsHook",
    "MissingKey",
    "QueueConfig",
    "ResultEncodeError",
    "RuntimeEvent",
    "SecretBoxEncryptor",
    "StaleAttempt",
    "Step",
    "StepArgs",
    "StepCancelled",
    "StepOutcome",
    "StepTimedOut",
    "TaskPayload",
    "TributaryError",
    "UnknownDependency",
    "WaitTimeout",
    "WorkPayload",
    "Worker",
    "WorkerDefinitionError",
    "Workers",
    "WorkflowBuilder",
    "WorkflowResult",
    "WorkflowSpec",
    "WorkflowValidationError",
]
