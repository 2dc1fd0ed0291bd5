"""Messages an area schedules for itself (capability ``timers``, contract 1.1.0;
structure-scoped areas only).

A timer is delivered to this area's ``on_message`` in the current structure
no earlier than the time it names, as a message whose ``id`` is the timer's
id and whose ``from_structure``/``from_area`` are this structure and area.
Scheduling and cancelling take effect with the call's other writes.
"""

from __future__ import annotations

import json
from typing import Any

from . import _host
from .types import Context


def at(at_ms: int, kind: str, payload: str = "") -> str:
    """Schedules ``kind`` with ``payload`` (at most 16 KiB: pass a kv key) for no earlier
    than ``at_ms`` (ms since the Unix epoch; the past fires at once). Returns its id."""
    return _host.call("timers", "schedule", at_ms, kind, payload)


def after(cx: Context, delay_ms: int, kind: str, payload: str = "") -> str:
    """:func:`at` ``delay_ms`` after the request's ``cx.now_ms``."""
    return at(cx.now_ms + delay_ms, kind, payload)


def at_json(at_ms: int, kind: str, payload: Any) -> str:
    """:func:`at` with ``payload`` serialised as JSON."""
    return at(at_ms, kind, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))


def cancel(timer_id: str) -> bool:
    """Cancels a pending timer of this area and structure: True if it will not be
    delivered; False if unknown, another area's, or already fired."""
    return _host.call("timers", "cancel", timer_id)
