"""How Python values become the JSON stored in the database, and back.

Results may be a pydantic model, any JSON-compatible value, or ``bytes``. Bytes holding a UTF-8
JSON document (what ``json.dumps(...).encode()`` gives) are stored as that JSON document, so
dependents and psql see structured data; any other bytes are stored as
``{"$bytes": "<base64>"}`` and come back as bytes.
"""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter

from tributary.errors import ResultEncodeError

T = TypeVar("T")

BYTES_KEY = "$bytes"


def to_json(value: Any) -> Any:
    """A JSON-compatible value for ``value`` (model, bytes or plain JSON data).

    Raises :class:`~tributary.errors.ResultEncodeError` for a value JSON cannot hold (NaN and the
    infinities included, also inside a model).
    """
    if isinstance(value, BaseModel):
        return _checked(value.model_dump(mode="json"))
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_not_json)
        except (UnicodeDecodeError, ValueError):  # not a JSON document (NaN and Infinity are not JSON)
            return {BYTES_KEY: base64.b64encode(raw).decode("ascii")}
    return _checked(value)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _checked(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ResultEncodeError(
            f"the result is not JSON ({error}); return a pydantic model, JSON data or bytes"
        ) from error
    return value


def from_json(raw: Any, as_type: type[T]) -> T:
    """``raw`` JSON read back as ``as_type`` (a pydantic model, bytes, or any type pydantic knows)."""
    if as_type is bytes:
        if isinstance(raw, dict) and set(raw) == {BYTES_KEY}:
            return cast(T, base64.b64decode(raw[BYTES_KEY]))
        return cast(T, json.dumps(raw).encode("utf-8"))
    if isinstance(as_type, type) and issubclass(as_type, BaseModel):
        return cast(T, as_type.model_validate(raw))
    return TypeAdapter(as_type).validate_python(raw)
