"""The signed-in user's own account (capability ``account``; user-scoped areas only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import _host
from .types import RequestStatus, Role, Service, Structure, StructureKind, SubscriptionMode


@dataclass
class Profile:
    """The user's profile; ``contact_email`` is where the portal writes to."""

    email: str
    first_name: str
    last_name: str
    contact_email: str
    last_login_ms: Optional[int]


@dataclass
class Membership:
    """A structure the user belongs to, with the user's role there."""

    structure: Structure
    role: Role


@dataclass
class NewStructure:
    """What is needed to create a structure (``identifier_type``: ``siret``, ``eu``…)."""

    identifier_type: str
    identifier: str
    name: str
    kind: StructureKind


@dataclass
class StructureMatch:
    """A structure found by :func:`search_structures`."""

    structure: Structure
    services: list[Service]
    member: bool
    pending: bool


@dataclass
class LinkRequest:
    """One of the user's link requests."""

    structure: Structure
    services: list[str]
    status: RequestStatus
    created_ms: int
    decided_ms: Optional[int]


@dataclass
class AreaSubscription:
    """An area added on request to one of the user's structures, with the user's subscription."""

    structure: Structure
    area: str
    area_title: str
    description: str
    mode: Optional[SubscriptionMode]
    status: Optional[RequestStatus]
    included: bool


def profile() -> Profile:
    """The user's profile."""
    return _host.call("account", "get-profile")


def update_profile(first_name: str, last_name: str, contact_email: str) -> None:
    """Changes names and contact email (field errors name ``first-name``, ``last-name``, ``contact-email``)."""
    _host.call("account", "update-profile", first_name, last_name, contact_email)


def memberships() -> list[Membership]:
    """The structures the user belongs to."""
    return _host.call("account", "memberships")


def create_structure(new: NewStructure) -> Structure:
    """Creates a structure whose primary manager is the user (``Conflict`` if the identifier is taken)."""
    return _host.call("account", "create-structure", new)


def search_structures(query: str) -> list[StructureMatch]:
    """Structures whose identifier is ``query``, or public ones whose name starts with it (4+ characters)."""
    return _host.call("account", "search-structures", query)


def request_link(structure_id: str, services: list[str]) -> None:
    """Asks the managers of ``structure_id`` to link the user."""
    _host.call("account", "request-link", structure_id, list(services))


def link_requests() -> list[LinkRequest]:
    """The user's link requests, newest first."""
    return _host.call("account", "link-requests")


def subscriptions() -> list[AreaSubscription]:
    """The areas added on request to the user's structures, with the user's subscription state."""
    return _host.call("account", "subscriptions")


def request_subscription(structure_id: str, area: str, mode: SubscriptionMode) -> None:
    """Asks to use ``area`` of ``structure_id`` (``Conflict`` if already asked)."""
    _host.call("account", "request-subscription", structure_id, area, mode)
