"""Errors: what a host call raises, and what a handler raises to answer.

Every host call raises a :class:`HostError` subclass when the host refuses
it. Left uncaught in a handler, it answers "failed" (500) naming the cause,
and — like every failed answer — nothing the call wrote is kept.
:meth:`portico_sdk.Form.submit` turns the host's field errors and conflicts
into errors shown on the form instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .types import FieldError

if TYPE_CHECKING:
    from .response import Invalid


class HostError(Exception):
    """A host call was refused. ``kind`` is the contract's case name."""

    kind = "host-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.describe}: {self.message}"

    describe = "host error"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash((type(self), str(self)))


class CapabilityDenied(HostError):
    """The area was not granted this capability in ``areas.yaml``; the message names it."""

    kind = "capability-denied"
    describe = "capability denied"


class InvalidArguments(HostError):
    """The call's arguments were refused; ``fields`` holds one message per faulty field."""

    kind = "invalid"
    describe = "invalid arguments"

    def __init__(self, fields: list[FieldError]) -> None:
        self.fields = list(fields)
        super().__init__("; ".join(f"{f.field}: {f.message}" for f in self.fields))


class LimitExceeded(HostError):
    """A size or count limit was exceeded; the message says which."""

    kind = "limit-exceeded"
    describe = "limit exceeded"


class Conflict(HostError):
    """The object exists already, or was changed concurrently."""

    kind = "conflict"
    describe = "conflict"


class NotFound(HostError):
    """The object does not exist, or is not visible to this caller."""

    kind = "not-found"
    describe = "not found"


class Unavailable(HostError):
    """A failure of the host; retrying later may succeed."""

    kind = "unavailable"
    describe = "host unavailable"


class Answer(Exception):
    """Raise to stop a handler and answer at once (the subclasses below)."""


class Failed(Answer):
    """Answer "failed" (500): the host shows its error panel with this message and the request id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Forbidden(Answer):
    """Answer 403 with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PageNotFound(Answer):
    """Answer the host's 404 page."""


class FormInvalid(Answer):
    """Answer 422: the form again with its errors (raised by :meth:`Form.finish`)."""

    def __init__(self, invalid: "Invalid") -> None:
        super().__init__(invalid.message)
        self.invalid = invalid
