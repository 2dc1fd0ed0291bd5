"""Key-value storage private to this area and the current structure (or user).

Capability ``kv``. Keys are at most 256 bytes of UTF-8, values at most 1 MiB
(:mod:`portico_sdk.limits`). Keys sort bytewise, so use prefixes
(``invoice/…``) and :func:`list` walks them in order. Every write of a call
is seen by the call's later reads at once, and committed — with the call's
other writes, messages and timers, in one transaction — when the call
answers anything but "failed"; an exception or a failed answer keeps nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Generic, Optional, TypeVar

from . import _host
from .errors import Conflict, Failed
from .limits import KV_MAX_LIST

T = TypeVar("T")

#: How many times :func:`update_json` retries when another request changed the value meanwhile.
UPDATE_ATTEMPTS = 8


def get(key: str) -> Optional[bytes]:
    """The raw value under ``key``, if any."""
    return _host.call("kv", "get", key)


def set(key: str, value: bytes | str) -> None:  # noqa: A001 - the contract's name
    """Stores ``value`` (text is encoded as UTF-8) under ``key``, replacing any previous value."""
    _host.call("kv", "set", key, value.encode("utf-8") if isinstance(value, str) else bytes(value))


def delete(key: str) -> bool:
    """Removes ``key``; True if it existed."""
    return _host.call("kv", "delete", key)


def list(prefix: str = "", after: Optional[str] = None, limit: int = 100) -> "builtins_list[tuple[str, bytes]]":  # noqa: A001
    """Up to ``limit`` (at most 1000, else ``LimitExceeded``) raw entries whose key starts
    with ``prefix``, in key order, strictly after ``after`` when given."""
    return _host.call("kv", "list", prefix, after, limit)


def compare_and_swap(key: str, expected: Optional[bytes], new: Optional[bytes]) -> bool:
    """Sets ``key`` to ``new`` (deletes it when None) only if its current value is
    ``expected`` (None: absent). True if the swap happened."""
    return _host.call("kv", "compare-and-swap", key, expected, new)


def get_json(key: str, default: Any = None) -> Any:
    """The JSON value under ``key``, or ``default``. A stored value that is not JSON
    answers "failed" naming the key."""
    raw = get(key)
    return default if raw is None else _decode(key, raw)


def set_json(key: str, value: Any) -> None:
    """Stores ``value`` as JSON under ``key``."""
    set(key, _encode(key, value))


def update_json(key: str, change: Callable[[Any], Any]) -> Any:
    """Reads the JSON value under ``key`` (None if absent), stores ``change(value)``
    (deletes the key if it returns None) with compare-and-swap, and returns it.

    >>> # visits = kv.update_json("visits", lambda n: (n or 0) + 1)
    """
    for _ in range(UPDATE_ATTEMPTS):
        raw = get(key)
        current = None if raw is None else _decode(key, raw)
        new = change(current)
        encoded = None if new is None else _encode(key, new)
        if compare_and_swap(key, raw, encoded):
            return new
    raise Conflict(f"kv key `{key}` kept changing: gave up after {UPDATE_ATTEMPTS} attempts")


@dataclass
class Page(Generic[T]):
    """One page of :func:`list_json`: ``items`` in key order, and ``next``, the key to
    pass as ``after`` for the next page (None on the last page, exactly)."""

    items: "builtins_list[tuple[str, T]]"
    next: Optional[str]


def list_json(prefix: str = "", after: Optional[str] = None, limit: int = 100) -> Page[Any]:
    """Up to ``limit`` JSON entries under ``prefix``, in key order, strictly after ``after``.

    ``next`` is set only when more entries follow (the SDK asks the host for one
    more than ``limit`` to know), so a page that is exactly full at the end
    says it is the last. A ``limit`` over 1000 is read as 1000."""
    limit = max(0, min(limit, KV_MAX_LIST))
    ask = min(limit + 1, KV_MAX_LIST)
    raw = list(prefix, after, ask)
    more = len(raw) > limit or (ask == limit and len(raw) == limit and limit > 0)
    raw = raw[:limit]
    items = [(k, _decode(k, v)) for k, v in raw]
    nxt = raw[-1][0] if more and raw else None
    return Page(items, nxt)


def _decode(key: str, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as e:
        raise Failed(f"kv key `{key}`: stored value is not JSON: {e}") from e


def _encode(key: str, value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise Failed(f"kv key `{key}`: cannot encode the value as JSON: {e}") from e


import builtins as _builtins  # noqa: E402

builtins_list = _builtins.list
