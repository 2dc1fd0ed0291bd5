"""The records of the contract (``portico:area@1.1.0``) as plain dataclasses.

These are the SDK's own types, independent of the bindings componentize-py
generates, so an area's code and its tests import the same classes whether
it runs in the host or under pytest.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional


class StructureKind(enum.Enum):
    """Whether a structure sends invoices (private) or receives them (public)."""

    PRIVATE = "private"
    PUBLIC = "public"


class Role(enum.Enum):
    """A member's role in a structure."""

    PRIMARY_MANAGER = "primary-manager"
    SECONDARY_MANAGER = "secondary-manager"
    USER = "user"

    @property
    def is_manager(self) -> bool:
        """True for the primary and secondary managers."""
        return self is not Role.USER


class RequestStatus(enum.Enum):
    """Where a request (link to a structure, area subscription) stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class SubscriptionMode(enum.Enum):
    """How a member uses an area added on request."""

    CONSULTATION = "consultation"
    MODIFICATION = "modification"


class RecipientRule(enum.Enum):
    """What invoices addressed to a structure must carry."""

    NONE = "none"
    SERVICE_CODE = "service-code"
    COMMITMENT_NUMBER = "commitment-number"
    EITHER = "either"


@dataclass
class User:
    """The signed-in person making the request."""

    id: str
    first_name: str
    last_name: str
    email: str


@dataclass
class Structure:
    """A structure (legal entity) as areas see it; ``id`` is its SIRET for French entities."""

    id: str
    identifier_type: str
    name: str
    kind: StructureKind


@dataclass
class Tab:
    """A tab the current user can open in the current structure."""

    id: str
    title: str
    href: str


@dataclass
class Context:
    """Everything the host knows about the request that an area may use.

    ``base_path`` is where the area is mounted, without a trailing slash;
    ``now_ms`` is the host's clock (milliseconds since the Unix epoch, UTC);
    ``locale`` is a BCP 47 tag such as ``fr-FR``.
    """

    request_id: str
    area: str
    base_path: str
    user: User
    structure: Optional[Structure]
    role: Optional[Role]
    locale: str
    now_ms: int
    tabs: list[Tab] = field(default_factory=list)

    def href(self, path: str) -> str:
        """An absolute link to ``path`` below this area (``"/"`` is the area's page)."""
        if path in ("", "/"):
            return self.base_path
        return self.base_path + (path if path.startswith("/") else "/" + path)

    @property
    def is_manager(self) -> bool:
        """True if the user is a primary or secondary manager of the current structure."""
        return self.role is not None and self.role.is_manager

    @property
    def language(self) -> str:
        """``"fr"`` or ``"en"``: the language the page is rendered in."""
        return "en" if self.locale.lower().startswith("en") else "fr"


@dataclass
class Upload:
    """A file uploaded with a multipart form (``content_type`` is the browser's word, not trusted)."""

    field: str
    filename: str
    content_type: str
    bytes: bytes


@dataclass
class Request:
    """An HTTP request addressed to this area: ``path`` is below the area's base path."""

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)
    files: list[Upload] = field(default_factory=list)

    @staticmethod
    def get(path: str, query: Optional[dict[str, str] | list[tuple[str, str]]] = None) -> "Request":
        """A GET request, e.g. in tests: ``Request.get("/", {"page": "2"})``."""
        return Request("GET", path, _pairs(query))

    @staticmethod
    def post(path: str, form: Optional[dict[str, str] | list[tuple[str, str]]] = None,
             files: Optional[list[Upload]] = None) -> "Request":
        """A form submission, e.g. in tests: ``Request.post("/name", {"name": "Ada"})``.
        An empty form is ``Request.post("/x")``."""
        return Request("POST", path, [], _pairs(form), list(files or []))

    @property
    def is_post(self) -> bool:
        """True for a form submission (the host checked its CSRF token already)."""
        return self.method == "POST"

    def query_value(self, name: str) -> Optional[str]:
        """The first query value named ``name``, if any."""
        return next((v for k, v in self.query if k == name), None)

    def form_value(self, name: str) -> Optional[str]:
        """The first form value named ``name``, untrimmed, if any."""
        return next((v for k, v in self.form if k == name), None)

    def form_values(self, name: str) -> list[str]:
        """Every form value named ``name`` (checkboxes, multiple selects), in order."""
        return [v for k, v in self.form if k == name]

    def file(self, name: str) -> Optional[Upload]:
        """The file uploaded in field ``name``, if any."""
        return next((f for f in self.files if f.field == name), None)


def _pairs(values: Optional[dict[str, str] | list[tuple[str, str]]]) -> list[tuple[str, str]]:
    if values is None:
        return []
    if isinstance(values, dict):
        return [(str(k), str(v)) for k, v in values.items()]
    return [(str(k), str(v)) for k, v in values]


@dataclass
class Message:
    """A message delivered to ``on_message``: from another structure's area, or a timer.
    Delivery is at least once: ignore an ``id`` already seen."""

    id: str
    from_structure: str
    from_area: str
    kind: str
    payload: str


@dataclass
class Service:
    """A sub-unit of a structure that invoices are addressed to."""

    code: str
    name: str
    active: bool = True


@dataclass
class FieldError:
    """A message attached to one form field: what is wrong and what would be right."""

    field: str
    message: str
