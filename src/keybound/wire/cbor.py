"""Canonical CBOR: the single byte form of every signed, hashed or framed structure.

Signatures and hashes cover bytes, so a structure must have exactly one
encoding.  We use cbor2's canonical mode (definite lengths, shortest integers,
map keys sorted length-first then bytewise, RFC 7049 §3.9) and accept on
input only bytes that re-encode to themselves.  The data model is deliberately
small: ``None``, ``bool``, ``int``, ``bytes``, ``str``, lists and maps with
``int`` or ``str`` keys.  No floats (no canonical form worth trusting), no
tags, no indefinite lengths, no duplicate keys, no trailing bytes.

Decoders of typed records use the ``get_*`` helpers so that every malformed
input becomes a :class:`~keybound.errors.MalformedData` naming the field,
never a ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TypeAlias, TypeVar, cast

import cbor2

from keybound.errors import MalformedData

Value: TypeAlias = "bool | int | bytes | str | list[Value] | dict[int | str, Value] | None"
CborMap: TypeAlias = "dict[int | str, Value]"

DEFAULT_MAX_SIZE = 1 << 20
DEFAULT_MAX_DEPTH = 16

_T = TypeVar("_T")


def encode(value: object) -> bytes:
    """Encode ``value`` canonically; refuse anything outside the data model."""
    _check(value, DEFAULT_MAX_DEPTH * 4, "value")
    return cbor2.dumps(value, canonical=True)


def decode(
    data: bytes, *, max_size: int = DEFAULT_MAX_SIZE, max_depth: int = DEFAULT_MAX_DEPTH
) -> Value:
    """Decode canonical CBOR or raise :class:`MalformedData` (never anything else)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedData("expected bytes")
    data = bytes(data)
    if len(data) > max_size:
        raise MalformedData(f"{len(data)} bytes is more than the limit of {max_size}")
    if not data:
        raise MalformedData("empty input")
    stream = io.BytesIO(data)
    try:
        decoder = cbor2.CBORDecoder(
            stream, allow_indefinite=False, allow_duplicate_keys=False, max_depth=max_depth
        )
        value = decoder.decode()
    except RecursionError as exc:
        raise MalformedData("nested too deeply") from exc
    except Exception as exc:  # cbor2 raises a zoo of types on garbage
        if "depth" in str(exc):
            raise MalformedData("nested too deeply") from exc
        raise MalformedData(f"not valid CBOR ({type(exc).__name__})") from exc
    if stream.tell() != len(data):
        raise MalformedData("trailing bytes after the CBOR item")
    _check(value, max_depth, "value")
    if cbor2.dumps(value, canonical=True) != data:
        raise MalformedData("not in canonical form")
    return cast(Value, value)


def decode_map(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> CborMap:
    """Decode bytes that must hold a map."""
    value = decode(data, max_size=max_size)
    if not isinstance(value, dict):
        raise MalformedData("expected a map")
    return value


_SCALARS = frozenset({type(None), bool, int, bytes, str})


def _check(value: object, depth: int, where: str) -> None:
    kind = type(value)
    if kind in _SCALARS:
        return
    if depth < 0:
        raise MalformedData("nested too deeply")
    if kind is list or kind is tuple:
        for item in value:  # type: ignore[attr-defined]
            if type(item) not in _SCALARS:
                _check(item, depth - 1, where)
        return
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not int and type(key) is not str:
                raise MalformedData(f"{where}: map keys must be integers or strings")
            if type(item) not in _SCALARS:
                _check(item, depth - 1, where)
        return
    raise MalformedData(f"{where}: {kind.__name__} is not allowed")


# --- typed field access for record decoders -----------------------------------


def _get(m: Mapping[int | str, Value], key: int | str, typ: type[_T], name: str) -> _T:
    if key not in m:
        raise MalformedData(f"missing field {name}")
    value = m[key]
    if typ is int and isinstance(value, bool):
        raise MalformedData(f"field {name} must be an integer")
    if not isinstance(value, typ):
        raise MalformedData(f"field {name} must be {typ.__name__}")
    return value


def get_int(
    m: Mapping[int | str, Value],
    key: int | str,
    *,
    name: str | None = None,
    min_value: int | None = None,
    max_value: int | None = None,
) -> int:
    """Field ``key`` as an int within [min_value, max_value]."""
    label = name or str(key)
    value = _get(m, key, int, label)
    if min_value is not None and value < min_value:
        raise MalformedData(f"field {label} is below {min_value}")
    if max_value is not None and value > max_value:
        raise MalformedData(f"field {label} is above {max_value}")
    return value


def get_bytes(
    m: Mapping[int | str, Value],
    key: int | str,
    *,
    name: str | None = None,
    size: int | None = None,
    max_size: int | None = None,
) -> bytes:
    """Field ``key`` as bytes of exactly ``size`` or at most ``max_size`` bytes."""
    label = name or str(key)
    value = _get(m, key, bytes, label)
    if size is not None and len(value) != size:
        raise MalformedData(f"field {label} must be {size} bytes")
    if max_size is not None and len(value) > max_size:
        raise MalformedData(f"field {label} is longer than {max_size} bytes")
    return value


def get_str(
    m: Mapping[int | str, Value],
    key: int | str,
    *,
    name: str | None = None,
    max_size: int | None = None,
) -> str:
    """Field ``key`` as a string of at most ``max_size`` characters."""
    label = name or str(key)
    value = _get(m, key, str, label)
    if max_size is not None and len(value) > max_size:
        raise MalformedData(f"field {label} is longer than {max_size} characters")
    return value


def get_bool(m: Mapping[int | str, Value], key: int | str, *, name: str | None = None) -> bool:
    """Field ``key`` as a bool."""
    return _get(m, key, bool, name or str(key))


def get_list(
    m: Mapping[int | str, Value],
    key: int | str,
    *,
    name: str | None = None,
    max_items: int | None = None,
) -> list[Value]:
    """Field ``key`` as a list of at most ``max_items`` items."""
    label = name or str(key)
    value = _get(m, key, list, label)
    if max_items is not None and len(value) > max_items:
        raise MalformedData(f"field {label} has more than {max_items} items")
    return value


def get_map(m: Mapping[int | str, Value], key: int | str, *, name: str | None = None) -> CborMap:
    """Field ``key`` as a map."""
    return _get(m, key, dict, name or str(key))


def optional(m: Mapping[int | str, Value], key: int | str) -> bool:
    """True when ``key`` is present and not null (for optional fields)."""
    return m.get(key) is not None


def reject_unknown(m: Mapping[int | str, Value], known: set[int | str], *, what: str) -> None:
    """Reject fields this version does not understand (for signed documents)."""
    unknown = [k for k in m if k not in known]
    if unknown:
        # how many, not which: errors never echo their input (a relay's error
        # frame would carry them back, and 60,000 names make a long message)
        raise MalformedData(f"{what} has {len(unknown)} unknown fields")
