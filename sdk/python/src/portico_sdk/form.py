"""Form validation that collects one error per field, then answers 422 with
the form again (the host renders the view with ``errors``, ``error`` and the
submitted values in ``form``).

>>> from portico_sdk import Form, Request, Response
>>> form = Form(Request.post("/profile", {"first-name": " ", "email": "ada@example"}))
>>> first = form.field("first-name").required().max_chars(100).value()
>>> email = form.field("email").required().email().value()
>>> len(form.errors)
2
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Optional, TypeVar

from .errors import Conflict, FormInvalid, HostError, InvalidArguments
from .i18n import message
from .response import Invalid, View
from .types import FieldError, Request

T = TypeVar("T")


class Form:
    """Reads and validates the fields of a submitted form.

    Each check records at most one error per field (the first), so the user
    sees every faulty field at once; :meth:`finish` then raises
    :class:`FormInvalid`, answered 422 with the view it builds."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.errors: list[FieldError] = []
        self.summary: Optional[str] = None

    def field(self, name: str) -> "Field":
        """The submitted value of ``name``, trimmed, ready for checks (absent reads as empty)."""
        return Field(self, name, (self.request.form_value(name) or "").strip())

    def raw(self, name: str) -> Optional[str]:
        """The submitted value of ``name``, untrimmed and unchecked."""
        return self.request.form_value(name)

    def error(self, field: str, text: str) -> None:
        """Records an error on ``field``, unless it has one already."""
        if not self.has_error(field):
            self.errors.append(FieldError(field, text))

    def fail(self, text: str) -> None:
        """Records an error about the whole form, shown above it."""
        self.summary = text

    def has_error(self, field: str) -> bool:
        """True if ``field`` has an error."""
        return any(e.field == field for e in self.errors)

    @property
    def is_valid(self) -> bool:
        """True while no error was recorded."""
        return not self.errors and self.summary is None

    def finish(self, view: Callable[[], View]) -> None:
        """Returns if no error was recorded; else raises :class:`FormInvalid` with the
        view ``view()`` builds (called only then: usually the form's page)."""
        if self.is_valid:
            return
        raise FormInvalid(Invalid(self._summary(), list(self.errors), view()))

    def submit(self, call: Callable[[], T], view: Callable[[], View]) -> T:
        """Runs ``call`` (a host call made with the form's values) and hands its refusal back
        to the form: :class:`InvalidArguments` fields become this form's field errors,
        :class:`Conflict` its summary (both a 422 with ``view``); any other host error
        propagates ("failed")."""
        try:
            return call()
        except InvalidArguments as e:
            for f in e.fields:
                self.error(f.field, f.message)
            if self.is_valid:
                self.fail(message("form.refused"))
        except Conflict as e:
            self.fail(e.message)
        self.finish(view)
        raise AssertionError("unreachable: the form has errors")

    def _summary(self) -> str:
        if self.summary is not None:
            return self.summary
        if len(self.errors) == 1:
            return message("form.fix-one")
        return message("form.fix-many", count=len(self.errors))


class Field:
    """One field being checked; see :meth:`Form.field`.

    Checks run in order and stop at the first failure. Every check but
    :meth:`required` accepts an empty value: chain ``required()`` first for
    mandatory fields."""

    def __init__(self, form: Form, name: str, value: str) -> None:
        self.form = form
        self.name = name
        self._value = value
        self.failed = form.has_error(name)

    def check(self, ok: Callable[[str], bool], text: str) -> "Field":
        """Fails with ``text`` unless ``ok(value)``; skipped on an empty value."""
        return self.check_with(lambda v: None if ok(v) else text)

    def check_with(self, check: Callable[[str], Optional[str]]) -> "Field":
        """Fails with the message ``check(value)`` returns (None: fine); skipped on an empty value."""
        if not self.failed and self._value:
            problem = check(self._value)
            if problem is not None:
                self._fail(problem)
        return self

    def required(self) -> "Field":
        """The field must not be empty (after trimming)."""
        if not self.failed and not self._value:
            self._fail(message("form.required"))
        return self

    def min_chars(self, least: int) -> "Field":
        """At least ``least`` characters."""
        return self.check_with(lambda v: None if len(v) >= least else message("form.min-chars", min=least, count=len(v)))

    def max_chars(self, most: int) -> "Field":
        """At most ``most`` characters."""
        return self.check_with(lambda v: None if len(v) <= most else message("form.max-chars", max=most, count=len(v)))

    def email(self) -> "Field":
        """An email address such as ``name@example.com``."""
        return self.check(is_email, message("form.email"))

    def one_of(self, choices: list[str]) -> "Field":
        """One of ``choices`` (the values of a select or radio group)."""
        return self.check(lambda v: v in choices, message("form.one-of", choices=", ".join(choices)))

    def value(self) -> str:
        """The value, trimmed ("" if absent)."""
        return self._value

    def optional(self) -> Optional[str]:
        """The value, or None if empty."""
        return self._value or None

    def decimal(self, text: str, *, places: int = 2, minimum: Optional[Decimal] = None,
                maximum: Optional[Decimal] = None, too_small: str = "", too_large: str = "") -> Optional[Decimal]:
        """The value as a :class:`~decimal.Decimal` with at most ``places`` decimals
        (a comma is read as the decimal separator, spaces are ignored); None, with
        ``text`` as the field's error, when it is not one. Bounds fail with
        ``too_small`` / ``too_large``."""
        if self.failed or not self._value:
            return None
        cleaned = self._value.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or -number.as_tuple().exponent > places:  # type: ignore[operator]
            self._fail(text)
            return None
        if minimum is not None and number < minimum:
            self._fail(too_small or text)
            return None
        if maximum is not None and number > maximum:
            self._fail(too_large or text)
            return None
        return number

    def _fail(self, text: str) -> None:
        self.failed = True
        self.form.error(self.name, text)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def is_email(s: str) -> bool:
    """A pragmatic email check: one ``@``, a non-empty local part, a dotted domain, no spaces."""
    if len(s) > 254 or not _EMAIL.match(s):
        return False
    domain = s.split("@", 1)[1]
    return "." in domain and not domain.startswith(".") and not domain.endswith(".") and ".." not in domain


__all__ = ["Form", "Field", "is_email", "HostError", "Any"]
