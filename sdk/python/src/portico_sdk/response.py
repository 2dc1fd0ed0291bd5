"""What an area answers: a :class:`Response`, built with its static methods.

``Response.view("page.html", "Title", {"rows": rows})`` renders a template;
``Response.redirect("/")`` (303, relative to the area), ``Response.download``,
``Response.not_found()``, ``Response.forbidden(reason)`` and
``Response.failed(message)`` are the other answers. A form with errors is
answered by :meth:`portico_sdk.Form.finish` (422 with the form again).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from .errors import Failed
from .types import FieldError


class Response:
    """Base of every answer; use the static constructors."""

    @staticmethod
    def view(template: str, title: str, data: Mapping[str, Any] | None = None) -> "View":
        """Render ``template`` (200) with ``data`` (a JSON object: templates read it as ``data``)."""
        return View.of(template, title, data or {})

    @staticmethod
    def redirect(path: str) -> "Redirect":
        """Redirect (303) to ``path``; a relative path is resolved against the area's base path."""
        return Redirect(path)

    @staticmethod
    def download(filename: str, content_type: str, data: bytes | str) -> "Download":
        """Send a file (text is encoded as UTF-8)."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return Download(filename, content_type, raw)

    @staticmethod
    def not_found() -> "NotFoundAnswer":
        """404 with the host's page."""
        return NotFoundAnswer()

    @staticmethod
    def forbidden(reason: str) -> "ForbiddenAnswer":
        """403 with ``reason``."""
        return ForbiddenAnswer(reason)

    @staticmethod
    def failed(message: str) -> "FailedAnswer":
        """500: the host shows its error panel with ``message`` and the request id, and logs it."""
        return FailedAnswer(message)


@dataclass
class View(Response):
    """A page: one of the area's templates and the JSON data it is rendered with."""

    template: str
    title: str
    data: str

    @staticmethod
    def of(template: str, title: str, data: Mapping[str, Any]) -> "View":
        """A view of ``template`` with ``data`` serialised to JSON (it must be a JSON object)."""
        if not isinstance(data, Mapping):
            raise Failed(
                f"view `{template}`: its data must be a mapping (a JSON object), not {type(data).__name__}"
            )
        try:
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_json_default)
        except (TypeError, ValueError) as e:
            raise Failed(f"view `{template}`: cannot serialise its data: {e}") from e
        return View(template, title, text)

    def json(self) -> Any:
        """The data parsed back: handy in tests."""
        return json.loads(self.data)


def _json_default(value: Any) -> Any:
    # Decimal amounts and dates print as text: exact, and what templates format.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value"), str):  # enums
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass
class Redirect(Response):
    """303 to ``location``."""

    location: str


@dataclass
class Download(Response):
    """A file to download."""

    filename: str
    content_type: str
    bytes: bytes


@dataclass
class NotFoundAnswer(Response):
    """404 with the host's page."""


@dataclass
class ForbiddenAnswer(Response):
    """403 with ``reason``."""

    reason: str


@dataclass
class FailedAnswer(Response):
    """500 with ``message`` (shown with the request id, and logged)."""

    message: str


@dataclass
class Invalid(Response):
    """422: ``view`` rendered again with ``errors`` (field → message) and the submitted ``form``."""

    message: str
    fields: list[FieldError] = field(default_factory=list)
    view: View = field(default_factory=lambda: View("", "", "{}"))

    def field(self, name: str) -> str | None:
        """The message on field ``name``, if any."""
        return next((f.message for f in self.fields if f.field == name), None)
