"""The contract's limits, as the host applies them (``sdk/contract/src/limits.rs``).

The fake host (:mod:`portico_sdk.testing`) refuses with the same checks and
the same messages; a test of the repository compares these numbers with the
Rust contract crate's, so they cannot drift apart.
"""

from __future__ import annotations

import json

from .errors import InvalidArguments, LimitExceeded
from .types import FieldError

#: Longest kv key (or list prefix), in bytes.
KV_MAX_KEY_BYTES = 256
#: Largest kv value, in bytes (1 MiB).
KV_MAX_VALUE_BYTES = 1024 * 1024
#: Most entries one ``kv.list`` returns; a larger limit is refused.
KV_MAX_LIST = 1000
#: Longest fact name, in bytes.
FACTS_MAX_NAME_BYTES = 64
#: Largest JSON value of one fact, in bytes.
FACTS_MAX_VALUE_BYTES = 4096
#: Longest structure identifier, area id or kind a message may name.
MESSAGES_MAX_NAME_BYTES = 128
#: Largest message payload, in bytes.
MESSAGES_MAX_PAYLOAD_BYTES = 256 * 1024
#: Most messages one call may send.
MESSAGES_MAX_PER_CALL = 100
#: Longest timer kind, in bytes.
TIMERS_MAX_KIND_BYTES = 128
#: Largest timer payload, in bytes (pass a kv key; keep the state in kv).
TIMERS_MAX_PAYLOAD_BYTES = 16 * 1024
#: Most timers one call may schedule.
TIMERS_MAX_PER_CALL = 100
#: Most pending timers per (area, structure).
TIMERS_MAX_PENDING = 1000
#: How far ahead a timer may be set: ten years (of 366 days), in ms.
TIMERS_MAX_HORIZON_MS = 10 * 366 * 24 * 3600 * 1000
#: Most host calls one request may make (the host's bound, not the contract crate's).
MAX_HOST_CALLS = 10_000


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def check_kv_key(what: str, key: str) -> None:
    """A key (or a list prefix: ``what`` says which) is at most 256 bytes."""
    n = _utf8_len(key)
    if n > KV_MAX_KEY_BYTES:
        raise LimitExceeded(f"a kv {what} is at most {KV_MAX_KEY_BYTES} bytes, this one is {n} bytes")


def check_kv_value(n: int) -> None:
    """A value is at most 1 MiB."""
    if n > KV_MAX_VALUE_BYTES:
        raise LimitExceeded(f"a kv value is at most {KV_MAX_VALUE_BYTES} bytes (1 MiB), this one is {n} bytes")


def check_kv_list_limit(limit: int) -> None:
    """A listing asks for at most 1000 entries."""
    if limit > KV_MAX_LIST:
        raise LimitExceeded(f"a listing returns at most {KV_MAX_LIST} entries, {limit} were asked for")


def check_fact_name(name: str) -> None:
    """1 to 64 characters of a-z, 0-9 and -."""
    ok = 1 <= len(name) <= FACTS_MAX_NAME_BYTES and all(c.isascii() and (c.islower() or c.isdigit() or c == "-") for c in name)
    if not ok:
        raise InvalidArguments([FieldError(
            "name", f"fact name `{name}` must be 1 to {FACTS_MAX_NAME_BYTES} characters of a-z, 0-9 and -")])


def check_fact_value(value: str) -> None:
    """JSON of at most 4 KiB."""
    n = _utf8_len(value)
    if n > FACTS_MAX_VALUE_BYTES:
        raise LimitExceeded(f"a fact's value is at most {FACTS_MAX_VALUE_BYTES} bytes of JSON; got {n}")
    try:
        json.loads(value)
    except ValueError as e:
        raise InvalidArguments([FieldError(
            "value", f"a fact's value must be JSON, e.g. true, 3 or \"text\": {e}")]) from e


def check_message_name(field: str, value: str) -> None:
    """``to-structure``, ``to-area`` and ``kind`` are 1 to 128 bytes, not blank."""
    n = _utf8_len(value)
    if not value.strip() or n > MESSAGES_MAX_NAME_BYTES:
        raise InvalidArguments([FieldError(
            field, f"{field} must be 1 to {MESSAGES_MAX_NAME_BYTES} bytes, not blank; got {n}")])


def check_message_payload(n: int) -> None:
    """At most 256 KiB."""
    if n > MESSAGES_MAX_PAYLOAD_BYTES:
        raise LimitExceeded(f"a message payload is at most {MESSAGES_MAX_PAYLOAD_BYTES} bytes; this one is {n} bytes")


def check_message_count(sent: int) -> None:
    """A call that sent ``sent`` messages may send one more."""
    if sent >= MESSAGES_MAX_PER_CALL:
        raise LimitExceeded(f"one request may send at most {MESSAGES_MAX_PER_CALL} messages")


def check_timer(at_ms: int, now_ms: int, kind: str, payload_len: int) -> None:
    """A timer at most ten years ahead, of a 1–128-byte kind, with at most 16 KiB of payload."""
    if at_ms > now_ms + TIMERS_MAX_HORIZON_MS:
        raise InvalidArguments([FieldError(
            "at-ms", f"a timer may be set at most {TIMERS_MAX_HORIZON_MS // 86_400_000} days ahead; "
            f"{at_ms} is {(at_ms - now_ms) // 86_400_000} days after now ({now_ms})")])
    n = _utf8_len(kind)
    if not kind.strip() or n > TIMERS_MAX_KIND_BYTES:
        raise InvalidArguments([FieldError(
            "kind", f"kind must be 1 to {TIMERS_MAX_KIND_BYTES} bytes, not blank; got {n}")])
    if payload_len > TIMERS_MAX_PAYLOAD_BYTES:
        raise LimitExceeded(
            f"a timer's payload is at most {TIMERS_MAX_PAYLOAD_BYTES} bytes (keep the state in kv and pass its key); "
            f"this one is {payload_len} bytes")


def check_timer_count(scheduled: int, pending: int) -> None:
    """A call that scheduled ``scheduled`` timers, with ``pending`` pending, may schedule one more."""
    if scheduled >= TIMERS_MAX_PER_CALL:
        raise LimitExceeded(f"one request may schedule at most {TIMERS_MAX_PER_CALL} timers")
    if pending >= TIMERS_MAX_PENDING:
        raise LimitExceeded(
            f"this area already has {TIMERS_MAX_PENDING} pending timers in this structure; cancel some or let them fire")
