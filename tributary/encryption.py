"""Encryption of step args and results with NaCl secretbox (XSalsa20-Poly1305, PyNaCl).

A sealed payload is still valid jsonb: ``{"tributary_sealed": 1, "kid": "<key id>",
"ct": "<base64 nonce+ciphertext>"}``. Each payload is sealed under a key derived from the master
key and what the payload belongs to (args: the step's kind and task name; results: also the
workflow id), so ciphertext copied onto another step does not open. Several keys allow
rotation: seal with the first, open with whichever the envelope names.
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


def args_context(kind: str, task_name: str) -> str:
    """What sealed args are bound to: the step's kind and task name."""
    return json.dumps(["args", kind, task_name])


def result_context(workflow_id: int, task_name: str) -> str:
    """What a sealed result is bound to: the step's workflow and task name."""
    return json.dumps(["result", workflow_id, task_name])


class SealedPayloadGuard(Hook):
    """Fails a step whose payloads are sealed in a process that has no EncryptHook, with a
    message that says so (``Config.work_hooks`` adds it where no EncryptHook is configured)."""

    def before_work(self, work: WorkPayload) -> None:
        if is_sealed(work.args) or any(is_sealed(v) for v in work.dependency_results.values()):
            raise MissingKey(
                f'task "{work.task_name}" has sealed payloads but no EncryptHook opened them (is the hook configured?)'
            )


class EncryptHook(Hook):
    """Seals args before insert and results after work; opens them before work and on read."""

    def __init__(self, encryptor: SecretBoxEncryptor) -> None:
        self.encryptor = encryptor

    def before_insert(self, task: TaskPayload) -> None:
        task.args = self.encryptor.seal(task.args, args_context(task.kind, task.task_name))

    def before_work(self, work: WorkPayload) -> None:
        work.args = self.encryptor.open(work.args, args_context(work.kind, work.task_name))
        opened = {}
        for name, value in work.dependency_results.items():
            if value is None:  # every result this hook stored is sealed, a None one included
                raise DecryptionError(
                    f'{result_context(work.workflow_id, name)}: the result of dependency "{name}" is SQL NULL where a'
                    " sealed one was expected (replaced, or completed by a worker without this hook)"
                )
            opened[name] = self._open_result(work.workflow_id, name, value)
        work.dependency_results = opened

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        if error is None:
            work.result = self.encryptor.seal(work.result, result_context(work.workflow_id, work.task_name))

    def read_result(self, workflow_id: int, task_name: str, result: Any) -> Any:
        return self._open_result(workflow_id, task_name, result)

    def _open_result(self, workflow_id: int, task_name: str, value: Any) -> Any:
        if value is None:
            return None
        return self.encryptor.open(value, result_context(workflow_id, task_name))
