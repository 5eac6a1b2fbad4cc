"""Encryption of step args and results with NaCl secretbox (XSalsa20-Poly1305, PyNaCl).

A sealed payload is still valid jsonb: ``{"tributary_sealed": 1, "kid": "<key id>",
"ct": "<base64 nonce+ciphertext>", "to": "<binding>"}``. Each payload is sealed under a key
derived from the master key and what the payload belongs to, so ciphertext put anywhere else
does not open:

- args ``"to": "workflow"``: the workflow id (reserved before creation), kind and task name;
- args ``"to": "task"``: the kind and task name only (a schedule's template, sealed once for
  every workflow the schedule creates);
- results ``"to": "attempt"``: the workflow id, task name and the attempt that produced it, so
  an older result of the same step put back in place does not open either.

The binding is part of what the subkey is derived from, so changing ``"to"`` makes the envelope
not open. Envelopes without ``"to"`` were sealed before bindings existed (args to kind and task
name, results to workflow and task name); they open unless the hook is told not to accept them.
Several keys allow rotation: seal with the first, open with whichever the envelope names.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils
from nacl.encoding import RawEncoder

from tributary.errors import DecryptionError, MissingKey
from tributary.hooks import Hook, TaskPayload, WorkPayload

ENVELOPE_MARK = "tributary_sealed"


def _key_bytes(key: bytes | str) -> bytes:
    raw = bytes.fromhex(key) if isinstance(key, str) else bytes(key)
    if len(raw) != nacl.secret.SecretBox.KEY_SIZE:
        raise ValueError(f"an encryption key is {nacl.secret.SecretBox.KEY_SIZE} bytes (64 hex digits), got {len(raw)}")
    return raw


def is_sealed(value: Any) -> bool:
    """Whether ``value`` is a sealed envelope."""
    return isinstance(value, dict) and value.get(ENVELOPE_MARK) == 1 and "kid" in value and "ct" in value


class SecretBoxEncryptor:
    """Seals and opens JSON values. ``keys``: 32-byte keys (bytes or hex); the first one seals."""

    def __init__(self, key: bytes | str, *older_keys: bytes | str) -> None:
        self._keys: dict[str, bytes] = {}
        self._sealing_kid = ""
        for i, k in enumerate((key, *older_keys)):
            raw = _key_bytes(k)
            kid = nacl.hash.blake2b(raw, digest_size=4, person=b"tributary-kid", encoder=RawEncoder).hex()
            self._keys.setdefault(kid, raw)
            if i == 0:
                self._sealing_kid = kid

    @staticmethod
    def _box(master: bytes, context: str) -> nacl.secret.SecretBox:
        subkey = nacl.hash.blake2b(
            context.encode("utf-8"), key=master, digest_size=32, person=b"tributary-seal", encoder=RawEncoder
        )
        return nacl.secret.SecretBox(subkey)

    def seal(self, value: Any, context: str) -> dict[str, Any]:
        """``value`` (JSON) sealed for ``context`` as an envelope."""
        plaintext = json.dumps(value, separators=(",", ":")).encode("utf-8")
        box = self._box(self._keys[self._sealing_kid], context)
        ciphertext = box.encrypt(plaintext, nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE))
        return {ENVELOPE_MARK: 1, "kid": self._sealing_kid, "ct": base64.b64encode(bytes(ciphertext)).decode("ascii")}

    def open(self, envelope: Any, context: str) -> Any:
        """The JSON value sealed in ``envelope`` for ``context``; DecryptionError when it cannot be."""
        if not is_sealed(envelope):
            raise DecryptionError(f"{context}: payload is not sealed, but encryption is on")
        master = self._keys.get(envelope["kid"])
        if master is None:
            raise MissingKey(f'{context}: sealed with key "{envelope["kid"]}", which this worker does not have')
        try:
            plaintext = self._box(master, context).decrypt(base64.b64decode(envelope["ct"]))
        except (nacl.exceptions.CryptoError, ValueError) as error:
            raise DecryptionError(
                f"{context}: payload does not open (tampered, or copied from another step)"
            ) from error
        return json.loads(plaintext)


BINDING = "to"


def args_context(kind: str, task_name: str, workflow_id: int | None = None) -> tuple[str | None, str]:
    """The binding and context sealed args belong to: the workflow (when its id is known), kind
    and task name; without a workflow id, kind and task name only (``"task"``)."""
    if workflow_id is None:
        return "task", json.dumps(["args", "task", kind, task_name])
    return "workflow", json.dumps(["args", "workflow", workflow_id, kind, task_name])


def result_context(workflow_id: int, task_name: str, attempt: int) -> tuple[str | None, str]:
    """The binding and context a sealed result belongs to: its workflow, task name and attempt."""
    return "attempt", json.dumps(["result", "attempt", workflow_id, task_name, attempt])


def element_context(workflow_id: int, task_name: str, attempt: int, index: int, size: int) -> tuple[str | None, str]:
    """The binding and context of one element of a result a map maps over (sealed element by
    element): its workflow, task name, attempt, index and the number of elements."""
    return "element", json.dumps(["result", "element", workflow_id, task_name, attempt, index, size])


def timeout_context(workflow_id: int | None, task_name: str) -> tuple[str | None, str]:
    """The binding and context of a wait's timeout default: its workflow (when its id is known)
    and task name; without a workflow id (a child spawned by a handler), the task name only."""
    if workflow_id is None:
        return "task-timeout", json.dumps(["result", "timeout", task_name])
    return "timeout", json.dumps(["result", "timeout", workflow_id, task_name])


def event_context(event: str, workflow_id: int | None, key: str | None) -> tuple[str | None, str]:
    """The binding and context of an event's payload: the event name and its address (the
    correlation key, else the workflow it is sent to)."""
    if key is not None:
        return "event", json.dumps(["event", event, "key", key])
    return "event", json.dumps(["event", event, "workflow", workflow_id])


ELEMENTS = "elements"  # a sealed result's list, sealed element by element, which a map maps over


def _legacy_args_context(kind: str, task_name: str) -> str:
    return json.dumps(["args", kind, task_name])


def _legacy_result_context(workflow_id: int, task_name: str) -> str:
    return json.dumps(["result", workflow_id, task_name])


def holds_sealed(value: Any, depth: int = 3) -> bool:
    """Whether ``value`` is sealed or holds sealed pieces where the engine puts them: a map's
    result (a list of results), a child workflow's (an object of leaf results), nested."""
    if is_sealed(value):
        return True
    if depth == 0:
        return False
    if isinstance(value, list):
        return any(holds_sealed(item, depth - 1) for item in value)
    if isinstance(value, dict):
        return any(holds_sealed(item, depth - 1) for item in value.values())
    return False


class SealedPayloadGuard(Hook):
    """Fails a step whose payloads are sealed in a process that has no EncryptHook, with a
    message that says so (``Config.work_hooks`` adds it where no EncryptHook is configured)."""

    def before_work(self, work: WorkPayload) -> None:
        if is_sealed(work.args) or any(holds_sealed(v) for v in work.dependency_results.values()):
            raise MissingKey(
                f'task "{work.task_name}" has sealed payloads but no EncryptHook opened them (is the hook configured?)'
            )


class EncryptHook(Hook):
    """Seals args before insert and results after work; opens them before work and on read.

    ``accept_legacy``: open envelopes sealed before bindings existed (no ``"to"``), whose results
    are not bound to their attempt. Set it to False once no such payload is stored.
    """

    binds_workflow_id = True  # args are bound to their workflow: ids are reserved before creation
    seals_payloads = True  # results are sealed: run_if and map_path cannot read them in SQL

    def __init__(self, encryptor: SecretBoxEncryptor, *, accept_legacy: bool = True) -> None:
        self.encryptor = encryptor
        self.accept_legacy = accept_legacy

    def before_insert(self, task: TaskPayload) -> None:
        task.args = self._seal(task.args, args_context(task.kind, task.task_name, task.workflow_id))
        if task.mapped:  # tells the worker to seal a list result element by element as well
            task.args[ELEMENTS] = True

    def before_wait_insert(self, workflow_id: int | None, task_name: str, default: Any) -> Any:
        return self._seal(default, timeout_context(workflow_id, task_name))

    def before_send_event(self, event: str, workflow_id: int | None, key: str | None, payload: Any) -> Any:
        return self._seal(payload, event_context(event, workflow_id, key))

    def before_work(self, work: WorkPayload) -> None:
        work.seal_elements = is_sealed(work.args) and work.args.get(ELEMENTS) is True
        work.args = self._open_args(work)
        opened = {}
        for name, value in work.dependency_results.items():
            origin = work.dependency_attempts.get(name)
            if origin is None:
                raise DecryptionError(
                    f'result of "{name}" in workflow {work.workflow_id}: the engine gave no attempt for it'
                )
            opened[name] = self._open_made(work.workflow_id, name, value, origin)
        work.dependency_results = opened

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        if error is None:
            result = work.result
            sealed = self._seal(result, result_context(work.workflow_id, work.task_name, work.attempt))
            if work.seal_elements and isinstance(result, list):
                n = len(result)
                sealed[ELEMENTS] = [
                    self._seal(item, element_context(work.workflow_id, work.task_name, work.attempt, i, n))
                    for i, item in enumerate(result)
                ]
            work.result = sealed

    def read_result(self, workflow_id: int, task_name: str, result: Any, attempt: int) -> Any:
        if result is None:
            return None
        return self._open_result(workflow_id, task_name, result, attempt)

    def read_made_result(self, workflow_id: int, task_name: str, result: Any, origin: Any) -> Any:
        if origin is None:  # made in a way get_workflow does not show (a child's leaves): as stored
            return result
        return self._open_made(workflow_id, task_name, result, origin)

    def _open_made(self, workflow_id: int, task_name: str, value: Any, origin: Any) -> Any:
        """Opens a result made as ``origin`` says (``claim_steps``' dependency_attempts): by a
        worker's attempt, a sleep, a wait, a child workflow or a map, each piece with its binding."""
        what = f'result of "{task_name}" in workflow {workflow_id}'
        if isinstance(origin, int) and not isinstance(origin, bool):
            if value is None:  # every result this hook stored is sealed, a None one included
                raise DecryptionError(
                    f'workflow {workflow_id}: the result of dependency "{task_name}" is SQL NULL where a sealed one'
                    " was expected (replaced, or completed by a worker without this hook)"
                )
            return self._open_result(workflow_id, task_name, value, origin)
        made = origin.get("made") if isinstance(origin, dict) else None
        if made == "sleep":
            if value is not None:
                raise DecryptionError(f"{what}: a sleep completes with NULL, this result is not NULL (replaced)")
            return None
        if made == "wait":
            return self._open_wait(workflow_id, task_name, value, origin.get("event"), origin.get("key"))
        if made == "map":
            elements = origin.get("elements")
            if not isinstance(elements, list) or not isinstance(value, list) or len(value) != len(elements):
                raise DecryptionError(f"{what}: a map's result does not match its elements (replaced)")
            return [
                self._open_made(workflow_id, f"{task_name}[{i}]", item, element_origin)
                for i, (item, element_origin) in enumerate(zip(value, elements, strict=True))
            ]
        if made == "child":
            child, leaves = origin.get("workflow_id"), origin.get("leaves")
            if not isinstance(child, int) or not isinstance(leaves, dict) or not isinstance(value, dict):
                raise DecryptionError(f"{what}: a child workflow's result does not match its leaves (replaced)")
            if set(value) != set(leaves):
                raise DecryptionError(
                    f"{what}: the child workflow {child}'s result does not hold exactly its leaves (replaced)"
                )
            return {name: self._open_made(child, name, value[name], leaves[name]) for name in value}
        raise DecryptionError(f"{what}: the engine says it was made as {origin!r}, which this hook does not know")

    def _open_wait(self, workflow_id: int, task_name: str, value: Any, event: Any, key: Any) -> Any:
        what = f'result of wait "{task_name}" in workflow {workflow_id}'
        if value is None:
            raise DecryptionError(
                f"{what}: SQL NULL where a sealed event payload or timeout default was expected (an event sent"
                " without this hook, or replaced)"
            )
        given = value.get(BINDING) if is_sealed(value) else None
        if given in ("timeout", "task-timeout"):
            bound = timeout_context(workflow_id if given == "timeout" else None, task_name)
        else:
            bound = event_context(str(event), workflow_id, None if key is None else str(key))
        return self._open(value, bound, "", what, legacy=False)

    def _open_element(self, workflow_id: int, source: str, value: Any, origin: Any, *, index: int, size: int) -> Any:
        """Element ``index`` of the result of ``source`` a map maps over."""
        if isinstance(origin, int) and not isinstance(origin, bool):
            what = f'element {index} of the result of "{source}" (attempt {origin}) in workflow {workflow_id}'
            return self._open(value, element_context(workflow_id, source, origin, index, size), "", what, legacy=False)
        if isinstance(origin, dict) and origin.get("made") == "map":
            elements = origin.get("elements")
            if not isinstance(elements, list) or len(elements) != size:
                raise DecryptionError(
                    f'map over "{source}" in workflow {workflow_id}: {size} elements, the map made {origin!r}'
                )
            return self._open_made(workflow_id, f"{source}[{index}]", value, elements[index])
        raise DecryptionError(
            f'map over "{source}" in workflow {workflow_id}: its result was made as {origin!r}, which is not mapped'
        )

    def _seal(self, value: Any, bound: tuple[str | None, str]) -> dict[str, Any]:
        binding, context = bound
        return {**self.encryptor.seal(value, context), BINDING: binding}

    def _open(
        self, envelope: Any, bound: tuple[str | None, str], legacy_context: str, what: str, *, legacy: bool = True
    ) -> Any:
        if not is_sealed(envelope):
            raise DecryptionError(f"{what}: payload is not sealed, but encryption is on")
        binding, context = bound
        given = envelope.get(BINDING)
        if given is None:
            if not (self.accept_legacy and legacy):
                raise DecryptionError(
                    f"{what}: sealed without a binding (before bindings existed), and those are refused"
                )
            context = legacy_context
        elif given != binding:
            raise DecryptionError(f'{what}: bound to "{given}", where "{binding}" was expected')
        try:
            return self.encryptor.open(envelope, context)
        except MissingKey:
            raise
        except DecryptionError as error:
            raise DecryptionError(
                f"{what}: payload does not open (tampered, or copied from another step or attempt)"
            ) from error

    def _open_args(self, work: WorkPayload) -> Any:
        element = work.map_element
        if element is not None:
            return self._open_element_args(work, element)
        what = f'args of "{work.task_name}" ({work.kind}) in workflow {work.workflow_id}'
        bound = args_context(work.kind, work.task_name, work.workflow_id)
        if is_sealed(work.args) and work.args.get(BINDING) == "task":
            bound = args_context(work.kind, work.task_name)
        return self._open(work.args, bound, _legacy_args_context(work.kind, work.task_name), what)

    def _open_element_args(self, work: WorkPayload, element: dict[str, Any]) -> Any:
        """An element step's args: its map's args (sealed for the map's task) with ``element`` set
        to the element of the mapped result (sealed for its index in that result)."""
        map_name = str(element.get("map"))
        what = (
            f'args of "{work.task_name}" ({work.kind}, an element of map "{map_name}") in workflow {work.workflow_id}'
        )
        if not is_sealed(work.args) or "element" not in work.args:
            raise DecryptionError(f"{what}: payload is not sealed, but encryption is on")
        envelope = {k: v for k, v in work.args.items() if k != "element"}
        bound = args_context(work.kind, map_name, work.workflow_id)
        if envelope.get(BINDING) == "task":
            bound = args_context(work.kind, map_name)
        opened = self._open(envelope, bound, _legacy_args_context(work.kind, map_name), what)
        if not isinstance(opened, dict):
            raise DecryptionError(f"{what}: the map's args are not an object")
        value = self._open_element(
            work.workflow_id,
            str(element.get("over")),
            work.args["element"],
            element.get("origin"),
            index=int(element.get("index", -1)),
            size=int(element.get("size", -1)),
        )
        return {**opened, "element": value}

    def _open_result(self, workflow_id: int, task_name: str, value: Any, attempt: int) -> Any:
        what = f'result of "{task_name}" (attempt {attempt}) in workflow {workflow_id}'
        bound = result_context(workflow_id, task_name, attempt)
        return self._open(value, bound, _legacy_result_context(workflow_id, task_name), what)
