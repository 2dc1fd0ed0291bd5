"""Durable messages between structures (capability ``messages``).

A message is queued with the call's other writes when the call answers
successfully, and delivered at least once to the recipient area's
``on_message``. A recipient that does not exist or lacks the area sends this
area a ``delivery-failed`` message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from . import _host
from .types import StructureKind


@dataclass
class Recipient:
    """A structure's public face: what a sender needs to address it.
    ``services`` are its active services as (code, name); ``recipient_rule`` is
    ``none``, ``service-code``, ``commitment-number`` or ``either``."""

    id: str
    name: str
    kind: StructureKind
    active: bool
    services: list[tuple[str, str]] = field(default_factory=list)
    recipient_rule: str = "none"


def send(to_structure: str, to_area: str, kind: str, payload: str) -> str:
    """Queues message ``kind`` for area ``to_area`` of structure ``to_structure``; returns its id."""
    return _host.call("messages", "send", to_structure, to_area, kind, payload)


def send_json(to_structure: str, to_area: str, kind: str, payload: Any) -> str:
    """:func:`send` with ``payload`` serialised as JSON."""
    return send(to_structure, to_area, kind, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))


def lookup(identifier: str) -> Optional[Recipient]:
    """The public profile of the structure ``identifier`` (contract 1.1.0); None when none has it."""
    return _host.call("messages", "lookup", identifier)
