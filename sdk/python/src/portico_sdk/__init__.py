"""Write Portico areas in Python.

An area is one tab of the portal: a WebAssembly component, built with
componentize-py, that the host calls once per HTTP request in a fresh
sandbox through the ``portico:area@1.1.0`` contract (``sdk/wit/area.wit``).
This package hides that contract behind plain Python; see README.md.

Contract: built against 1.1.0, so it runs on every 1.x host from 1.1 on
(minor versions only add); a 1.0 host refuses it at load, naming both versions.
"""

from __future__ import annotations

from typing import Optional

from . import account, directory, facts, i18n, kv, limits, log, messages, timers
from .area import Area, read_templates
from .errors import (
    CapabilityDenied,
    Conflict,
    Failed,
    Forbidden,
    FormInvalid,
    HostError,
    InvalidArguments,
    LimitExceeded,
    NotFound,
    PageNotFound,
    Unavailable,
)
from .form import Field, Form
from .response import (
    Download,
    FailedAnswer,
    ForbiddenAnswer,
    Invalid,
    NotFoundAnswer,
    Redirect,
    Response,
    View,
)
from .types import (
    Context,
    FieldError,
    Message,
    RecipientRule,
    Request,
    RequestStatus,
    Role,
    Service,
    Structure,
    StructureKind,
    SubscriptionMode,
    Tab,
    Upload,
    User,
)

#: The contract this SDK is built against (``portico:area@…``): it needs a host
#: implementing 1.1 or a later 1.x (1.1.0 added ``timers`` and ``messages.lookup``).
API_VERSION = "1.2.0"

__version__ = "0.1.0"


def export(area: type[Area]) -> Optional[type]:
    """The component's export for ``area``: write ``Plugin = export(MyArea)`` at the end of
    the area's module (componentize-py looks for ``Plugin``).

    Outside a component build (pytest) the bindings do not exist and it returns
    None; tests run the area through :class:`portico_sdk.testing.FakeHost`."""
    try:
        from . import _component
    except ModuleNotFoundError as e:
        if e.name not in ("wit_world", "componentize_py_types"):
            raise
        return None
    return _component.plugin_for(area)


__all__ = [
    "API_VERSION", "Area", "CapabilityDenied", "Conflict", "Context", "Download", "Failed",
    "FailedAnswer", "Field", "FieldError", "Forbidden", "ForbiddenAnswer", "Form", "FormInvalid",
    "HostError", "Invalid", "InvalidArguments", "LimitExceeded", "Message", "NotFound",
    "NotFoundAnswer", "PageNotFound", "RecipientRule", "Redirect", "Request", "RequestStatus",
    "Response", "Role", "Service", "Structure", "StructureKind", "SubscriptionMode", "Tab",
    "Unavailable", "Upload", "User", "View", "account", "directory", "export", "facts", "i18n",
    "kv", "limits", "log", "messages", "read_templates", "timers",
]
