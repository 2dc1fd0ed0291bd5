"""The :class:`Area` base class and the one place requests are dispatched."""

from __future__ import annotations

import os
import sys
import traceback
from typing import ClassVar

from .errors import Answer, Failed, Forbidden, FormInvalid, HostError, PageNotFound
from .response import FailedAnswer, ForbiddenAnswer, NotFoundAnswer, Response
from .types import Context, Message, Request


class Area:
    """What an area implements. The host creates a fresh instance of the
    component for every call, so nothing survives in memory between two
    requests: state lives in :mod:`portico_sdk.kv` (or the host's directory).

    Class attributes, read when the host loads the area:

    * ``templates``: ``{name: minijinja source}``, usually :func:`read_templates`;
    * ``messages``: ``{"fr": json, "en": json}``, usually
      :func:`portico_sdk.i18n.catalogues`.
    """

    templates: ClassVar[dict[str, str]] = {}
    messages: ClassVar[dict[str, str]] = {}

    def handle(self, cx: Context, req: Request) -> Response:
        """Answers one HTTP request. Raising a :class:`HostError` answers "failed" (500)
        naming the cause; :meth:`Form.finish` raises the 422; :class:`Failed`,
        :class:`Forbidden` and :class:`PageNotFound` answer at once. Any other
        exception answers "failed" too, naming only its type: its text and
        traceback go to the host log (they may carry data)."""
        return Response.not_found()

    def on_message(self, cx: Context, msg: Message) -> None:
        """Receives one message (from another structure's area, or a timer). Delivery is
        at least once: ignore an id already seen. An exception asks the host to retry later."""


def dispatch(area: Area, cx: Context, req: Request) -> Response:
    """Runs ``area.handle`` and turns what it raises into its answer: the one path
    both the component and the fake host take."""
    try:
        response = area.handle(cx, req)
    except FormInvalid as e:
        return e.invalid
    except HostError as e:
        return FailedAnswer(str(e))
    except Failed as e:
        return FailedAnswer(e.message)
    except Forbidden as e:
        return ForbiddenAnswer(e.reason)
    except PageNotFound:
        return NotFoundAnswer()
    except Exception as e:  # noqa: BLE001 - the traceback goes to the log, not to the person
        # An exception's text may carry data (like a Rust panic's): the host
        # log gets the traceback (stderr), the person only its type.
        traceback.print_exc(file=sys.stderr)
        return FailedAnswer(f"the area failed with {type(e).__name__}; the details are in the host log")
    if not isinstance(response, Response):
        return FailedAnswer(f"handle() returned {type(response).__name__}, not a Response")
    return response


def deliver(area: Area, cx: Context, msg: Message) -> None:
    """Runs ``area.on_message``; any exception becomes the text the host logs before retrying."""
    try:
        area.on_message(cx, msg)
    except Answer as e:
        raise DeliveryFailed(str(e)) from e
    except Exception as e:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        raise DeliveryFailed(f"{type(e).__name__}: {e}") from e


class DeliveryFailed(Exception):
    """``on_message`` failed: the host retries the message later."""


def read_templates(module_file: str, directory: str = "templates") -> dict[str, str]:
    """Every file of ``templates/`` beside ``module_file`` (pass ``__file__``), by file name.

    Call it at module level: the build runs the module's top level, so the
    templates are part of the component (there is no file system at run time)."""
    base = os.path.join(os.path.dirname(os.path.abspath(module_file)), directory)
    found = {}
    for name in sorted(os.listdir(base)):
        path = os.path.join(base, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                found[name] = f.read()
    return found


__all__ = ["Area", "dispatch", "deliver", "read_templates", "DeliveryFailed", "Answer"]
