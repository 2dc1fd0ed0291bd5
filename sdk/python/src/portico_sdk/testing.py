"""A fake host for pytest: run an area's handlers without a server.

:class:`FakeHost` behaves like the real host where an area can tell:

* a capability not granted raises :class:`CapabilityDenied` naming it, and
  ``timers``/``directory`` need a structure, ``account`` a user-scoped area;
* the contract's limits (:mod:`portico_sdk.limits`: key and value sizes, list
  limits, fact names, message and timer counts, 10 000 host calls) refuse
  with the host's messages;
* **one call, one transaction**: a call's kv, facts, messages and timers are
  buffered (its own reads see them) and committed only if it answers
  anything but "failed"; a failed answer or an exception keeps nothing;
* form errors come back as an English reader reads them, and a view must
  name a template the area declares;
* time is a fake clock: :meth:`FakeHost.advance` moves it and fires the
  timers due, through ``on_message``, as the host's delivery worker does.

>>> from portico_sdk import Area, Request, Response, kv
>>> from portico_sdk.testing import FakeHost
>>> class Counter(Area):
...     templates = {"count.html": "{{ data.count }}"}
...     def handle(self, cx, req):
...         return Response.view("count.html", "Count", {"count": kv.update_json("n", lambda n: (n or 0) + 1)})
>>> host = FakeHost(Counter, grant=["kv"])
>>> _ = host.handle(Request.get("/"))
>>> host.handle(Request.get("/")).json()["count"]
2
>>> FakeHost(Counter).handle(Request.get("/")).message
'capability denied: area `test-area` was not granted the `kv` capability (add it to `capabilities` in areas.yaml)'
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Union

from . import _host, i18n, limits
from .account import AreaSubscription, LinkRequest as MyLinkRequest, Membership, NewStructure, Profile, StructureMatch
from .area import Area, DeliveryFailed, deliver, dispatch
from .directory import AreaOffer, AuditEntry, LinkRequest, Member, StructureSettings, Subscription
from .errors import CapabilityDenied, Conflict, HostError, InvalidArguments, LimitExceeded, NotFound
from .log import Level
from .messages import Recipient
from .response import FailedAnswer, Invalid, Response, View
from .types import (
    Context, FieldError, Message, RecipientRule, Request, RequestStatus, Role, Service, Structure,
    StructureKind, Tab, User,
)

#: Timers one :meth:`FakeHost.advance` fires at most (a timer that re-schedules itself at once).
MAX_TIMERS_PER_ADVANCE = 10_000


@dataclass
class SentMessage:
    """A message the area sent, as the outbox holds it."""

    id: str
    to_structure: str
    to_area: str
    kind: str
    payload: str


@dataclass
class ScheduledTimer:
    """A pending timer."""

    id: str
    at_ms: int
    kind: str
    payload: str


@dataclass
class FiredTimer:
    """A timer :meth:`FakeHost.advance` delivered; ``error`` is None if ``on_message`` succeeded."""

    message: Message
    error: Optional[str]


@dataclass
class _Store:
    kv: dict[str, bytes] = field(default_factory=dict)
    facts: dict[tuple[str, str], str] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    timers: list[ScheduledTimer] = field(default_factory=list)


def _area_yaml_entry(path: str, area_id: str) -> Optional[list[str]]:
    """The ``capabilities`` of ``area_id`` in the areas.yaml at ``path`` (a small reader
    of the file's own layout: ``- id:`` entries with a ``capabilities: [..]`` line)."""
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith("- id:"):
                current = stripped.split(":", 1)[1].strip()
            elif current == area_id and stripped.startswith("capabilities:"):
                inside = stripped.split(":", 1)[1].split("#", 1)[0].strip().strip("[]")
                return [c.strip() for c in inside.split(",") if c.strip()]
    return None


class FakeHost:
    """The fake host; creating one makes it the host every SDK wrapper calls.

    Defaults, as the Rust ``TestHost``: user Ada Lovelace (``ada@example.com``),
    structure ``73282932000074`` "Acme Supplies" (private), role primary
    manager, area ``test-area``, locale ``fr-FR``, **no capabilities**.
    ``grant=`` lists capabilities, or ``areas_yaml=`` (with ``area=``) reads
    them from the area's entry, so a test cannot grant more than the
    deployment does."""

    def __init__(self, area: Union[type[Area], Area, None] = None, *, grant: Iterable[str] = (),
                 area_id: str = "test-area", areas_yaml: Optional[str] = None,
                 user: Optional[User] = None, structure: Optional[Structure] = None, no_structure: bool = False,
                 role: Optional[Role] = Role.PRIMARY_MANAGER, locale: str = "fr-FR",
                 now_ms: int = 1_700_000_000_000, tabs: Iterable[Tab] = ()) -> None:
        self.area = area() if isinstance(area, type) else area
        self.area_id = area_id
        self.capabilities = set(grant)
        if areas_yaml is not None:
            found = _area_yaml_entry(areas_yaml, area_id)
            if found is None:
                raise ValueError(f"{areas_yaml}: no area `{area_id}` with a `capabilities` line")
            self.capabilities |= set(found)
        self.user = user or User("user-1", "Ada", "Lovelace", "ada@example.com")
        self.structure = None if no_structure else (structure or Structure(
            "73282932000074", "siret", "Acme Supplies", StructureKind.PRIVATE))
        self.role = role
        self.locale = locale
        self.now_ms = now_ms
        self.tabs = list(tabs)
        self.request_id = "test-request"
        self.store = _Store()
        self._call: Optional[_Store] = None
        self._calls = 0
        self._sent_in_call = 0
        self._timers_in_call = 0
        self._next_id = 0
        self.logs: list[tuple[Level, str]] = []
        self.fail_next: Optional[HostError] = None
        self.recipients: dict[str, Recipient] = {}
        # directory
        self.members: list[Member] = [Member(self.user.id, self.user.first_name, self.user.last_name,
                                             self.user.email, Role.PRIMARY_MANAGER)]
        self.link_requests: list[LinkRequest] = []
        self.services: list[Service] = []
        self.settings = StructureSettings(StructureKind.PRIVATE, True, RecipientRule.NONE)
        self.offers: list[AreaOffer] = []
        self.subscriptions: list[Subscription] = []
        self.history: list[AuditEntry] = []
        # account
        self.profile = Profile(self.user.email, self.user.first_name, self.user.last_name, self.user.email, None)
        self.memberships: list[Membership] = [Membership(self.structure, Role.PRIMARY_MANAGER)] if self.structure else []
        self.searchable: list[StructureMatch] = []
        self.my_link_requests: list[MyLinkRequest] = []
        self.area_subscriptions: list[AreaSubscription] = []
        _host.install(self)

    # ---- running the area -------------------------------------------------

    def context(self) -> Context:
        """The context handlers receive."""
        base = f"/s/{self.structure.id}/{self.area_id}" if self.structure else f"/me/{self.area_id}"
        return Context(self.request_id, self.area_id, base, self.user, self.structure,
                       self.role if self.structure else None, self.locale, self.now_ms, list(self.tabs))

    def handle(self, request: Request, area: Union[type[Area], Area, None] = None) -> Response:
        """Runs ``handle`` as the host does: one transaction, committed unless the answer is
        "failed"; form errors in English; a view must name a declared template."""
        target = self._target(area)
        self._begin()
        answer = dispatch(target, self.context(), request)
        self._end(commit=not isinstance(answer, FailedAnswer))
        if isinstance(answer, Invalid):
            en = type(target).messages.get("en")
            answer.message = i18n.english(answer.message, en)
            for f in answer.fields:
                f.message = i18n.english(f.message, en)
        view = answer if isinstance(answer, View) else answer.view if isinstance(answer, Invalid) else None
        if view is not None and view.template not in type(target).templates:
            raise AssertionError(
                f"the response renders template `{view.template}`, which templates does not declare "
                f"(declared: {sorted(type(target).templates)})")
        return answer

    def deliver(self, message: Message, area: Union[type[Area], Area, None] = None) -> Optional[str]:
        """Runs ``on_message``: None if it succeeded (committed), else the error the host
        would log before retrying (nothing kept)."""
        target = self._target(area)
        self._begin()
        try:
            deliver(target, self.context(), message)
        except DeliveryFailed as e:
            self._end(commit=False)
            return str(e)
        self._end(commit=True)
        return None

    def advance(self, ms: int, area: Union[type[Area], Area, None] = None) -> list[FiredTimer]:
        """Moves the clock ``ms`` forward and delivers every timer due, soonest first (those
        scheduled by the deliveries too); a failed delivery stays due for the next advance."""
        self.now_ms += ms
        fired: list[FiredTimer] = []
        failed: list[ScheduledTimer] = []
        while True:
            due = [t for t in self.store.timers if t.at_ms <= self.now_ms]
            if not due:
                break
            timer = min(due, key=lambda t: t.at_ms)
            self.store.timers.remove(timer)
            if len(fired) >= MAX_TIMERS_PER_ADVANCE:
                raise AssertionError(f"more than {MAX_TIMERS_PER_ADVANCE} timers fired in one advance")
            msg = Message(timer.id, self.structure.id if self.structure else "", self.area_id,
                          timer.kind, timer.payload)
            error = self.deliver(msg, area)
            if error is not None:
                failed.append(timer)
            fired.append(FiredTimer(msg, error))
        self.store.timers.extend(failed)
        return fired

    def _target(self, area: Union[type[Area], Area, None]) -> Area:
        if area is not None:
            return area() if isinstance(area, type) else area
        if self.area is None:
            raise ValueError("no area: pass one to FakeHost(MyArea) or to handle()")
        return self.area

    def _begin(self) -> None:
        self._call = copy.deepcopy(self.store)
        self._calls = 0
        self._sent_in_call = 0
        self._timers_in_call = 0

    def _end(self, commit: bool) -> None:
        if commit and self._call is not None:
            self.store = self._call
        self._call = None

    # ---- inspecting -------------------------------------------------------

    def kv_value(self, key: str) -> Optional[bytes]:
        """The committed raw value under ``key``."""
        return self.store.kv.get(key)

    def kv_json(self, key: str) -> Any:
        """The committed value under ``key``, parsed as JSON (None if absent)."""
        raw = self.kv_value(key)
        return None if raw is None else json.loads(raw)

    def kv_keys(self) -> list[str]:
        """Every committed kv key, in order."""
        return sorted(self.store.kv)

    def fact_value(self, area: str, name: str) -> Optional[str]:
        """The committed JSON text of fact ``name`` of ``area``."""
        return self.store.facts.get((area, name))

    def sent_messages(self) -> list[SentMessage]:
        """The committed messages, in order."""
        return list(self.store.sent)

    def scheduled_timers(self) -> list[ScheduledTimer]:
        """The pending timers, soonest first."""
        return sorted(self.store.timers, key=lambda t: t.at_ms)

    def set_kv(self, key: str, value: bytes | str) -> None:
        """Seeds a kv value before a call."""
        self.store.kv[key] = value.encode("utf-8") if isinstance(value, str) else value

    def set_fact(self, area: str, name: str, json_text: str) -> None:
        """Seeds a fact (of this area or another) before a call."""
        self.store.facts[(area, name)] = json_text

    # ---- the host imports -------------------------------------------------

    def call(self, interface: str, function: str, *args: Any) -> Any:
        """Every wrapper lands here (see :mod:`portico_sdk._host`)."""
        if self._call is None:
            raise RuntimeError("host calls happen inside handle(), deliver() or advance()")
        self._calls += 1
        if self._calls > limits.MAX_HOST_CALLS:
            raise LimitExceeded(f"one request may make at most {limits.MAX_HOST_CALLS} host calls")
        capability = interface
        if capability not in self.capabilities:
            raise CapabilityDenied(
                f"area `{self.area_id}` was not granted the `{capability}` capability "
                "(add it to `capabilities` in areas.yaml)")
        if interface != "log" and self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        method = getattr(self, "_" + interface + "_" + function.replace("-", "_"))
        return method(*args)

    # kv
    def _kv_get(self, key: str) -> Optional[bytes]:
        limits.check_kv_key("key", key)
        return self._call.kv.get(key)

    def _kv_set(self, key: str, value: bytes) -> None:
        limits.check_kv_key("key", key)
        limits.check_kv_value(len(value))
        self._call.kv[key] = bytes(value)

    def _kv_delete(self, key: str) -> bool:
        limits.check_kv_key("key", key)
        return self._call.kv.pop(key, None) is not None

    def _kv_list(self, prefix: str, after: Optional[str], limit: int) -> list[tuple[str, bytes]]:
        limits.check_kv_key("prefix", prefix)
        limits.check_kv_list_limit(limit)
        keys = sorted((k for k in self._call.kv if k.startswith(prefix)), key=lambda k: k.encode("utf-8"))
        if after is not None:
            keys = [k for k in keys if k.encode("utf-8") > after.encode("utf-8")]
        return [(k, self._call.kv[k]) for k in keys[:limit]]

    def _kv_compare_and_swap(self, key: str, expected: Optional[bytes], new: Optional[bytes]) -> bool:
        limits.check_kv_key("key", key)
        if new is not None:
            limits.check_kv_value(len(new))
        if self._call.kv.get(key) != (None if expected is None else bytes(expected)):
            return False
        if new is None:
            self._call.kv.pop(key, None)
        else:
            self._call.kv[key] = bytes(new)
        return True

    # facts
    def _facts_set(self, name: str, value: str) -> None:
        limits.check_fact_name(name)
        limits.check_fact_value(value)
        self._call.facts[(self.area_id, name)] = value

    def _facts_clear(self, name: str) -> None:
        limits.check_fact_name(name)
        self._call.facts.pop((self.area_id, name), None)

    def _facts_get(self, area: str, name: str) -> Optional[str]:
        return self._call.facts.get((area, name))

    # messages
    def _messages_send(self, to_structure: str, to_area: str, kind: str, payload: str) -> str:
        limits.check_message_name("to-structure", to_structure)
        limits.check_message_name("to-area", to_area)
        limits.check_message_name("kind", kind)
        limits.check_message_payload(len(payload.encode("utf-8")))
        limits.check_message_count(self._sent_in_call)
        self._sent_in_call += 1
        self._next_id += 1
        sent = SentMessage(f"msg-{self._next_id}", to_structure, to_area, kind, payload)
        self._call.sent.append(sent)
        return sent.id

    def _messages_lookup(self, identifier: str) -> Optional[Recipient]:
        return self.recipients.get(identifier.replace(" ", ""))

    # timers
    def _timers_schedule(self, at_ms: int, kind: str, payload: str) -> str:
        self._need_structure("timers")
        limits.check_timer(at_ms, self.now_ms, kind, len(payload.encode("utf-8")))
        limits.check_timer_count(self._timers_in_call, len(self._call.timers))
        self._timers_in_call += 1
        self._next_id += 1
        timer = ScheduledTimer(f"{at_ms:013}-timer-{self._next_id}", at_ms, kind, payload)
        self._call.timers.append(timer)
        return timer.id

    def _timers_cancel(self, timer_id: str) -> bool:
        self._need_structure("timers")
        for t in self._call.timers:
            if t.id == timer_id:
                self._call.timers.remove(t)
                return True
        return False

    # log
    def _log_write(self, level: Level, message: str) -> None:
        self.logs.append((level, message[:4096]))

    # directory (a manager of the current structure only, but for members and services)
    def _need_structure(self, what: str) -> Structure:
        if self.structure is None:
            raise NotFound(f"{what} needs a current structure, and this request has none")
        return self.structure

    def _manager(self) -> None:
        self._need_structure("directory")
        if self.role is None or not self.role.is_manager:
            raise NotFound("only a primary or secondary manager of this structure can do this")

    def _audit(self, action: str, detail: dict[str, Any]) -> None:
        actor = f"{self.user.first_name} {self.user.last_name} <{self.user.email}>"
        self.history.insert(0, AuditEntry(self.now_ms, actor, action, json.dumps(detail)))

    def _member(self, user_id: str) -> Member:
        for m in self.members:
            if m.user_id == user_id:
                return m
        raise NotFound(f"no member with id {user_id}")

    def _directory_members(self) -> list[Member]:
        self._need_structure("directory")
        return copy.deepcopy(self.members)

    def _directory_services(self) -> list[Service]:
        self._need_structure("directory")
        return sorted(copy.deepcopy(self.services), key=lambda s: s.code)

    def _directory_link_requests(self) -> list[LinkRequest]:
        self._manager()
        return sorted(copy.deepcopy(self.link_requests),
                      key=lambda r: (r.status is not RequestStatus.PENDING, -r.created_ms))

    def _pending_link(self, user_id: str) -> LinkRequest:
        for r in self.link_requests:
            if r.user_id == user_id and r.status is RequestStatus.PENDING:
                return r
        raise NotFound(f"no pending link request from {user_id}")

    def _directory_approve_link_requests(self, user_ids: list[str], role: Role) -> None:
        self._manager()
        if role is Role.PRIMARY_MANAGER:
            raise InvalidArguments([FieldError("role", "choose secondary manager or user")])
        found = [self._pending_link(u) for u in user_ids]
        for r in found:
            r.status, r.decided_ms = RequestStatus.APPROVED, self.now_ms
            self.members.append(Member(r.user_id, r.first_name, r.last_name, r.email, role))
            self._audit("link.approve", {"user": r.user_id, "role": role.value})

    def _directory_refuse_link_requests(self, user_ids: list[str]) -> None:
        self._manager()
        found = [self._pending_link(u) for u in user_ids]
        for r in found:
            r.status, r.decided_ms = RequestStatus.REFUSED, self.now_ms
            self._audit("link.refuse", {"user": r.user_id})

    def _directory_add_member(self, email: str, role: Role) -> Member:
        self._manager()
        raise InvalidArguments([FieldError("email", f"no account uses {email}")])

    def _directory_set_role(self, user_id: str, role: Role) -> None:
        self._manager()
        member = self._member(user_id)
        if member.role is Role.PRIMARY_MANAGER or role is Role.PRIMARY_MANAGER:
            raise Conflict("the primary manager's role changes only by a transfer")
        member.role = role
        self._audit("member.role", {"user": user_id, "role": role.value})

    def _directory_transfer_primary(self, user_id: str) -> None:
        self._manager()
        if self.role is not Role.PRIMARY_MANAGER:
            raise NotFound("only the primary manager can transfer the role")
        target = self._member(user_id)
        for m in self.members:
            if m.role is Role.PRIMARY_MANAGER:
                m.role = Role.SECONDARY_MANAGER
        target.role = Role.PRIMARY_MANAGER
        self.role = Role.SECONDARY_MANAGER
        self._audit("member.transfer-primary", {"user": user_id})

    def _directory_remove_member(self, user_id: str) -> None:
        self._manager()
        member = self._member(user_id)
        if member.role is Role.PRIMARY_MANAGER:
            raise Conflict("the primary manager cannot be removed; transfer the role first")
        self.members.remove(member)
        self._audit("member.remove", {"user": user_id})

    def _directory_create_service(self, service: Service) -> None:
        self._manager()
        errors = []
        if not service.code.strip() or len(service.code) > 100:
            errors.append(FieldError("code", "a service code is 1 to 100 characters"))
        if not service.name.strip() or len(service.name) > 100:
            errors.append(FieldError("name", "a service name is 1 to 100 characters"))
        if errors:
            raise InvalidArguments(errors)
        if any(s.code == service.code for s in self.services):
            raise Conflict(f"service code {service.code} is already used")
        self.services.append(dataclasses.replace(service))
        self._audit("service.create", {"code": service.code})

    def _directory_update_service(self, service: Service) -> None:
        self._manager()
        for i, s in enumerate(self.services):
            if s.code == service.code:
                self.services[i] = dataclasses.replace(service)
                self._audit("service.update", {"code": service.code})
                return
        raise NotFound(f"no service {service.code}")

    def _directory_settings(self) -> StructureSettings:
        self._manager()
        return copy.deepcopy(self.settings)

    def _directory_update_settings(self, settings: StructureSettings) -> None:
        self._manager()
        self.settings = copy.deepcopy(settings)
        self._audit("settings.update", {"active": settings.active})

    def _directory_areas(self) -> list[AreaOffer]:
        self._manager()
        return copy.deepcopy(self.offers)

    def _offer(self, area: str) -> AreaOffer:
        for o in self.offers:
            if o.id == area:
                return o
        raise NotFound(f"no area {area} is offered to this structure")

    def _directory_install_area(self, area: str) -> None:
        self._manager()
        self._offer(area).installed = True
        self._audit("area.install", {"area": area})

    def _directory_uninstall_area(self, area: str) -> None:
        self._manager()
        self._offer(area).installed = False
        self._audit("area.uninstall", {"area": area})

    def _directory_subscriptions(self) -> list[Subscription]:
        self._manager()
        return sorted(copy.deepcopy(self.subscriptions), key=lambda s: s.status is not RequestStatus.PENDING)

    def _directory_decide_subscription(self, user_id: str, area: str, approve: bool) -> None:
        self._manager()
        for s in self.subscriptions:
            if s.user_id == user_id and s.area == area and s.status is RequestStatus.PENDING:
                s.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
                self._audit("subscription.decide", {"user": user_id, "area": area, "approve": approve})
                return
        raise NotFound(f"no pending request from {user_id} for {area}")

    def _directory_history(self, limit: int) -> list[AuditEntry]:
        self._manager()
        if limit > 1000:
            raise LimitExceeded(f"history returns at most 1000 entries, {limit} were asked for")
        return copy.deepcopy(self.history[:limit])

    # account (user-scoped areas only)
    def _user_scoped(self) -> None:
        if self.structure is not None:
            raise NotFound("account is for user-scoped areas (scope: user), and this request has a structure")

    def _account_get_profile(self) -> Profile:
        self._user_scoped()
        return copy.deepcopy(self.profile)

    def _account_update_profile(self, first_name: str, last_name: str, contact_email: str) -> None:
        self._user_scoped()
        errors = [FieldError(f, "required") for f, v in (("first-name", first_name), ("last-name", last_name)) if not v.strip()]
        from .form import is_email
        if not is_email(contact_email):
            errors.append(FieldError("contact-email", "enter an email address such as name@example.com"))
        if errors:
            raise InvalidArguments(errors)
        self.profile.first_name, self.profile.last_name, self.profile.contact_email = first_name, last_name, contact_email

    def _account_memberships(self) -> list[Membership]:
        self._user_scoped()
        return copy.deepcopy(self.memberships)

    def _account_create_structure(self, new: NewStructure) -> Structure:
        self._user_scoped()
        identifier = new.identifier.replace(" ", "")
        if any(m.structure.id == identifier for m in self.memberships):
            raise Conflict(f"a structure with identifier {identifier} exists already")
        if not new.name.strip():
            raise InvalidArguments([FieldError("name", "required")])
        created = Structure(identifier, new.identifier_type, new.name.strip(), new.kind)
        self.memberships.append(Membership(created, Role.PRIMARY_MANAGER))
        return copy.deepcopy(created)

    def _account_search_structures(self, query: str) -> list[StructureMatch]:
        self._user_scoped()
        q = query.strip()
        if len(q) < 4:
            raise InvalidArguments([FieldError("query", "enter at least 4 characters")])
        return [copy.deepcopy(m) for m in self.searchable
                if m.structure.id == q.replace(" ", "") or m.structure.name.lower().startswith(q.lower())][:20]

    def _account_request_link(self, structure_id: str, services: list[str]) -> None:
        self._user_scoped()
        for m in self.searchable:
            if m.structure.id == structure_id:
                if m.member or m.pending:
                    raise Conflict("already a member, or a request is pending")
                m.pending = True
                self.my_link_requests.insert(0, MyLinkRequest(m.structure, list(services), RequestStatus.PENDING,
                                                              self.now_ms, None))
                return
        raise NotFound(f"no structure {structure_id}")

    def _account_link_requests(self) -> list[MyLinkRequest]:
        self._user_scoped()
        return copy.deepcopy(self.my_link_requests)

    def _account_subscriptions(self) -> list[AreaSubscription]:
        self._user_scoped()
        return copy.deepcopy(self.area_subscriptions)

    def _account_request_subscription(self, structure_id: str, area: str, mode: Any) -> None:
        self._user_scoped()
        for s in self.area_subscriptions:
            if s.structure.id == structure_id and s.area == area:
                if s.status is not None:
                    raise Conflict("already asked")
                s.mode, s.status = mode, RequestStatus.PENDING
                return
        raise NotFound(f"area {area} is not added to structure {structure_id}")


__all__ = ["FakeHost", "SentMessage", "ScheduledTimer", "FiredTimer", "MAX_TIMERS_PER_ADVANCE", "os"]
