"""The edge between the SDK and the bindings componentize-py generates from
``sdk/wit/area.wit`` (module ``wit_world``). Imported only inside a component
build; nothing generated leaves this module.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import traceback
from typing import Any

import wit_world.exports
from componentize_py_types import Err
from wit_world.imports import account as wit_account
from wit_world.imports import directory as wit_directory
from wit_world.imports import facts as wit_facts
from wit_world.imports import kv as wit_kv
from wit_world.imports import log as wit_log
from wit_world.imports import messages as wit_messages
from wit_world.imports import timers as wit_timers
from wit_world.imports import types as wit

from . import _host, account, directory, errors, messages, response, types
from .area import Area, DeliveryFailed, deliver, dispatch
from .log import Level

_MODULES = {
    "kv": wit_kv,
    "facts": wit_facts,
    "messages": wit_messages,
    "timers": wit_timers,
    "directory": wit_directory,
    "account": wit_account,
    "log": wit_log,
}

# SDK record classes by (interface, name): records of the same name differ
# between interfaces (directory.LinkRequest, account.LinkRequest).
_SDK_RECORDS: dict[tuple[str, str], type] = {}
for _iface, _module in (("types", types), ("messages", messages), ("directory", directory),
                        ("account", account)):
    for _name in dir(_module):
        _cls = getattr(_module, _name)
        if isinstance(_cls, type) and (dataclasses.is_dataclass(_cls) or issubclass(_cls, enum.Enum)):
            _SDK_RECORDS[(_iface, _name)] = _cls
_SDK_RECORDS[("log", "Level")] = Level
_SHARED = {name for (iface, name) in _SDK_RECORDS if iface == "types"}

_ERRORS = {
    wit.HostError_CapabilityDenied: errors.CapabilityDenied,
    wit.HostError_LimitExceeded: errors.LimitExceeded,
    wit.HostError_Conflict: errors.Conflict,
    wit.HostError_NotFound: errors.NotFound,
    wit.HostError_Unavailable: errors.Unavailable,
}


def _interface_of(value: Any) -> str:
    return type(value).__module__.rsplit(".", 1)[-1]


def from_wit(value: Any) -> Any:
    """A generated value as the SDK's: records and enums by name, recursively."""
    if isinstance(value, (str, bytes, bool, int, type(None))):
        return value
    if isinstance(value, list):
        return [from_wit(v) for v in value]
    if isinstance(value, tuple):
        return tuple(from_wit(v) for v in value)
    name = type(value).__name__
    iface = _interface_of(value)
    if name in _SHARED and (iface, name) not in _SDK_RECORDS:
        iface = "types"
    cls = _SDK_RECORDS.get((iface, name))
    if cls is None:
        raise TypeError(f"no SDK type for {iface}.{name}")
    if isinstance(value, enum.Enum):
        return cls[value.name]
    return cls(**{f.name: from_wit(getattr(value, f.name)) for f in dataclasses.fields(value)})


def to_wit(value: Any, iface: str) -> Any:
    """An SDK value as the generated one of ``iface``: records and enums by name."""
    if isinstance(value, (str, bytes, bool, int, type(None))):
        return value
    if isinstance(value, list):
        return [to_wit(v, iface) for v in value]
    if isinstance(value, tuple):
        return tuple(to_wit(v, iface) for v in value)
    name = type(value).__name__
    module = _MODULES.get(iface)
    cls = getattr(module, name, None) if module is not None else None
    if cls is None:
        cls = getattr(wit, name)
    if isinstance(value, enum.Enum):
        return cls[value.name]
    return cls(**{f.name: to_wit(getattr(value, f.name), iface) for f in dataclasses.fields(value)})


def host_error(e: Err) -> errors.HostError:
    """The SDK exception for a generated ``host-error``."""
    value = e.value
    if isinstance(value, wit.HostError_Invalid):
        return errors.InvalidArguments([types.FieldError(f.field, f.message) for f in value.value])
    cls = _ERRORS.get(type(value))
    if cls is None:
        return errors.Unavailable(f"unknown host error {value!r}")
    return cls(value.value)


class ComponentHost:
    """The backend inside a component: every call goes to the generated import."""

    def call(self, interface: str, function: str, *args: Any) -> Any:
        fn = getattr(_MODULES[interface], function.replace("-", "_"))
        try:
            return from_wit(fn(*(to_wit(a, interface) for a in args)))
        except Err as e:
            raise host_error(e) from None


def _context(c: "wit.Context") -> types.Context:
    return from_wit(c)


def _request(r: "wit.Request") -> types.Request:
    return types.Request(
        method="POST" if r.method == wit.Method.POST else "GET",
        path=r.path,
        query=list(r.query),
        form=list(r.form),
        files=[types.Upload(u.field, u.filename, u.content_type, u.bytes) for u in r.files],
    )


def _view(v: response.View) -> "wit.View":
    return wit.View(v.template, v.title, v.data)


def _response(r: response.Response) -> Any:
    if isinstance(r, response.View):
        return wit.Response_View(_view(r))
    if isinstance(r, response.Redirect):
        return wit.Response_Redirect(r.location)
    if isinstance(r, response.Download):
        return wit.Response_Download(wit.Download(r.filename, r.content_type, r.bytes))
    if isinstance(r, response.NotFoundAnswer):
        return wit.Response_NotFound()
    if isinstance(r, response.ForbiddenAnswer):
        return wit.Response_Forbidden(r.reason)
    if isinstance(r, response.Invalid):
        fields = [wit.FieldError(f.field, f.message) for f in r.fields]
        return wit.Response_Invalid(wit.Invalid(r.message, fields, _view(r.view)))
    if isinstance(r, response.FailedAnswer):
        return wit.Response_Failed(r.message)
    return wit.Response_Failed(f"unknown response {type(r).__name__}")


def plugin_for(area_class: type[Area]) -> type:
    """The class componentize-py exports as ``plugin``, answering for ``area_class``."""
    _host.install(ComponentHost())
    area = area_class()
    entries = list(area_class.templates.items()) + [
        (f"i18n/{lang}.json", text) for lang, text in area_class.messages.items()
    ]

    class Plugin(wit_world.exports.Plugin):
        def templates(self) -> list[tuple[str, str]]:
            return entries

        def handle(self, context: "wit.Context", request: "wit.Request") -> Any:
            try:
                answer = dispatch(area, _context(context), _request(request))
            except BaseException as e:  # noqa: BLE001 - SystemExit, KeyboardInterrupt: never trap
                traceback.print_exc(file=sys.stderr)
                answer = response.FailedAnswer(f"the area failed with {type(e).__name__}; the details are in the host log")
            return _response(answer)

        def on_message(self, context: "wit.Context", message: "wit.Message") -> None:
            try:
                deliver(area, _context(context), from_wit(message))
            except DeliveryFailed as e:
                raise Err(str(e)) from None

    return Plugin
