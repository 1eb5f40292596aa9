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
from collections.abc import Set as AbstractSet
from typing import NoReturn, TypeAlias, TypeVar, cast

import cbor2

from keybound.errors import MalformedData

Value: TypeAlias = "bool | int | bytes | str | list[Value] | dict[int | str, Value] | None"
CborMap: TypeAlias = "dict[int | str, Value]"

DEFAULT_MAX_SIZE = 1 << 20
DEFAULT_MAX_DEPTH = 16

_T = TypeVar("_T")
_BYTES_LIKE = (bytes, bytearray, memoryview)


def encode(value: object) -> bytes:
    """Encode ``value`` canonically; refuse anything outside the data model."""
    if _check(value, DEFAULT_MAX_DEPTH * 4, "value"):
        return cbor2.dumps(value)  # already in canonical order: the same bytes, 3x faster
    return cbor2.dumps(value, canonical=True)


def decode(
    data: bytes, *, max_size: int = DEFAULT_MAX_SIZE, max_depth: int = DEFAULT_MAX_DEPTH
) -> Value:
    """Decode canonical CBOR or raise :class:`MalformedData` (never anything else)."""
    if not isinstance(data, _BYTES_LIKE):
        raise MalformedData("expected bytes")
    data = bytes(data)
    if len(data) > max_size:
        raise MalformedData(f"{len(data)} bytes is more than the limit of {max_size}")
    if not data:
        raise MalformedData("empty input")
    value = _load(data, max_depth)
    if _check(value, max_depth, "value"):
        # every map's keys came in ascending order, so re-encoding in the order they came
        # (cbor2's plain mode, which always writes definite lengths and shortest integers)
        # gives the canonical form: equal bytes prove the input canonical
        again = cbor2.dumps(value)
    else:
        again = cbor2.dumps(value, canonical=True)
    if again != data:
        _explain(data, max_depth)
        raise MalformedData("not in canonical form")
    return cast(Value, value)


def _load(data: bytes, max_depth: int) -> object:
    """The item at the start of ``data`` (``cbor2.loads`` ignores what follows it)."""
    try:
        return cbor2.loads(
            data, allow_indefinite=False, allow_duplicate_keys=False, max_depth=max_depth
        )
    except RecursionError as exc:
        raise MalformedData("nested too deeply") from exc
    except Exception as exc:  # cbor2 raises a zoo of types on garbage
        if "depth" in str(exc):
            raise MalformedData("nested too deeply") from exc
        raise MalformedData(f"not valid CBOR ({type(exc).__name__})") from exc


def _explain(data: bytes, max_depth: int) -> None:
    """Raise for trailing bytes, the one non-canonical input with a reason of its own."""
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        stream, allow_indefinite=False, allow_duplicate_keys=False, max_depth=max_depth
    )
    try:
        decoder.decode()  # it decoded once already
    except Exception:  # the caller names the fault then
        return
    if stream.tell() != len(data):
        raise MalformedData("trailing bytes after the CBOR item")


def decode_map(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> CborMap:
    """Decode bytes that must hold a map."""
    value = decode(data, max_size=max_size)
    if not isinstance(value, dict):
        raise MalformedData("expected a map")
    return value


_SCALARS = frozenset({type(None), bool, int, bytes, str})


def _check(value: object, depth: int, where: str) -> bool:
    """Refuse anything outside the data model.

    True when every map's keys are non-negative integers in ascending order: the
    canonical order (length first, then bytewise, is numeric order for them), which is
    how every record of ours is built.  Other maps need cbor2's canonical sort.
    """
    kind = type(value)
    if kind in _SCALARS:
        return True
    if depth < 0:
        raise MalformedData("nested too deeply")
    if kind is dict:
        keys = list(value)  # type: ignore[call-overload]
        key_types = set(map(type, keys))
        if not key_types <= _KEY_TYPES:
            raise MalformedData(f"{where}: map keys must be integers or strings")
        ordered = key_types <= _INT and (not keys or keys[0] >= 0) and keys == sorted(keys)
        items = value.values()  # type: ignore[attr-defined]
    elif kind is list or kind is tuple:
        ordered, items = True, value
    else:
        raise MalformedData(f"{where}: {kind.__name__} is not allowed")
    if _SCALARS.issuperset(map(type, items)):  # the common case, checked in C
        return ordered
    for item in items:
        if type(item) not in _SCALARS and not _check(item, depth - 1, where):
            ordered = False
    return ordered


_KEY_TYPES = frozenset({int, str})
_INT = frozenset({int})


# --- typed field access for record decoders -----------------------------------


_MISSING: object = object()


def _get(m: Mapping[int | str, Value], key: int | str, typ: type[_T], name: str) -> _T:
    value = m.get(key, _MISSING)
    if type(value) is not typ:  # exact types: what cbor2 decodes to (bool is not an int)
        _refuse(value, typ, name)
    return value


def _refuse(value: object, typ: type, name: str) -> NoReturn:
    if value is _MISSING:
        raise MalformedData(f"missing field {name}")
    raise MalformedData(f"field {name} must be {'an integer' if typ is int else typ.__name__}")


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


def reject_unknown(
    m: Mapping[int | str, Value], known: AbstractSet[int | str], *, what: str
) -> None:
    """Reject fields this version does not understand (for signed documents)."""
    if known >= m.keys():
        return
    unknown = [k for k in m if k not in known]
    if unknown:
        # how many, not which: errors never echo their input (a relay's error
        # frame would carry them back, and 60,000 names make a long message)
        raise MalformedData(f"{what} has {len(unknown)} unknown fields")
