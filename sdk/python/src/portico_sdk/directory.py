"""The current structure's people and settings (capability ``directory``;
structure-scoped areas only).

The host checks on every call that the signed-in user is a primary or
secondary manager of the current structure (only :func:`members` and
:func:`services` are open to every member); a call from anyone else raises
:class:`portico_sdk.NotFound`. Changes are immediate and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import _host
from .types import RecipientRule, RequestStatus, Role, Service, StructureKind, SubscriptionMode


@dataclass
class Member:
    """A member of the current structure."""

    user_id: str
    first_name: str
    last_name: str
    email: str
    role: Role


@dataclass
class LinkRequest:
    """A request to join the current structure."""

    user_id: str
    first_name: str
    last_name: str
    email: str
    services: list[str]
    status: RequestStatus
    created_ms: int
    decided_ms: Optional[int]


@dataclass
class StructureSettings:
    """The structure's settings."""

    kind: StructureKind
    active: bool
    recipient_rule: RecipientRule


@dataclass
class AreaOffer:
    """An area the structure can add; ``unavailable_because`` says why it cannot open yet."""

    id: str
    title: str
    description: str
    installed: bool
    unavailable_because: Optional[str]


@dataclass
class Subscription:
    """A member's subscription to an added area, or a request for one."""

    user_id: str
    first_name: str
    last_name: str
    email: str
    area: str
    area_title: str
    mode: SubscriptionMode
    status: RequestStatus
    created_ms: int


@dataclass
class AuditEntry:
    """One audited manager action (``detail`` is JSON)."""

    at_ms: int
    actor: str
    action: str
    detail: str


def members() -> list[Member]:
    """The members, primary manager first (open to every member)."""
    return _host.call("directory", "members")


def link_requests() -> list[LinkRequest]:
    """Link requests: pending first, then newest."""
    return _host.call("directory", "link-requests")


def approve_link_requests(user_ids: list[str], role: Role) -> None:
    """Approves these pending requests; each becomes a member with ``role``."""
    _host.call("directory", "approve-link-requests", list(user_ids), role)


def refuse_link_requests(user_ids: list[str]) -> None:
    """Refuses these pending requests."""
    _host.call("directory", "refuse-link-requests", list(user_ids))


def add_member(email: str, role: Role) -> Member:
    """Adds an existing account by its login email (field errors name ``email`` or ``role``)."""
    return _host.call("directory", "add-member", email, role)


def set_role(user_id: str, role: Role) -> None:
    """Makes a member secondary manager or user (``Conflict`` for the primary manager)."""
    _host.call("directory", "set-role", user_id, role)


def transfer_primary(user_id: str) -> None:
    """Makes another member primary manager; the caller becomes secondary manager."""
    _host.call("directory", "transfer-primary", user_id)


def remove_member(user_id: str) -> None:
    """Removes a member (never the primary manager)."""
    _host.call("directory", "remove-member", user_id)


def services() -> list[Service]:
    """The structure's services, by code (open to every member)."""
    return _host.call("directory", "services")


def create_service(service: Service) -> None:
    """Declares a service (field errors name ``code`` or ``name``; ``Conflict`` if the code is used)."""
    _host.call("directory", "create-service", service)


def update_service(service: Service) -> None:
    """Renames, deactivates or reactivates the service with ``service.code``."""
    _host.call("directory", "update-service", service)


def settings() -> StructureSettings:
    """The structure's settings."""
    return _host.call("directory", "settings")


def update_settings(settings: StructureSettings) -> None:
    """Changes the structure's settings."""
    _host.call("directory", "update-settings", settings)


def areas() -> list[AreaOffer]:
    """The areas this structure can add, in tab order."""
    return _host.call("directory", "areas")


def install_area(area: str) -> None:
    """Adds an area offered by :func:`areas`."""
    _host.call("directory", "install-area", area)


def uninstall_area(area: str) -> None:
    """Removes an added area; its data is kept."""
    _host.call("directory", "uninstall-area", area)


def subscriptions() -> list[Subscription]:
    """Subscriptions and requests: pending first."""
    return _host.call("directory", "subscriptions")


def decide_subscription(user_id: str, area: str, approve: bool) -> None:
    """Approves or refuses a member's pending request for ``area``."""
    _host.call("directory", "decide-subscription", user_id, area, approve)


def history(limit: int = 50) -> list[AuditEntry]:
    """The newest ``limit`` (at most 1000) manager actions."""
    return _host.call("directory", "history", limit)
