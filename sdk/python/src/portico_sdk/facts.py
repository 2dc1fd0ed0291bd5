"""Facts this area publishes about the current structure (capability ``facts``).

``when`` expressions in ``areas.yaml`` read them with ``fact('area', 'name')``,
so publishing a fact can make another area's tab appear. Names are 1–64
characters of ``a-z0-9-``; values are JSON of at most 4 KiB. Committed with
the call's other writes.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from . import _host
from .errors import Failed


def set(name: str, json_text: str) -> None:  # noqa: A001
    """Sets this area's fact ``name`` to ``json_text``, a JSON value (``"true"``, ``"3"``…)."""
    _host.call("facts", "set", name, json_text)


def set_json(name: str, value: Any) -> None:
    """Sets this area's fact ``name`` to ``value``, serialised as JSON."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise Failed(f"fact `{name}`: cannot encode the value as JSON: {e}") from e
    set(name, text)


def clear(name: str) -> None:
    """Removes this area's fact ``name``."""
    _host.call("facts", "clear", name)


def get(area: str, name: str) -> Optional[str]:
    """The JSON text of fact ``name`` of ``area`` on the current structure, if set."""
    return _host.call("facts", "get", area, name)


def get_json(area: str, name: str, default: Any = None) -> Any:
    """Fact ``name`` of ``area``, decoded, or ``default``."""
    text = get(area, name)
    return default if text is None else json.loads(text)
