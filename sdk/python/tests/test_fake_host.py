"""The fake host behaves as the real one where an area can tell."""

import importlib.util
import os

import pytest

from portico_sdk import (
    Area, CapabilityDenied, Conflict, InvalidArguments, LimitExceeded, NotFound, Request, Response, Role,
    facts, kv, log, messages, timers, directory, account,
)
from portico_sdk.testing import FakeHost

HELLO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "hello", "app.py")


def load_hello():
    spec = importlib.util.spec_from_file_location("hello_app", HELLO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Probe(Area):
    """Runs the function a test puts in ``Probe.body`` and shows what it returned."""

    templates = {"probe.html": "{{ data.result }}"}
    body = staticmethod(lambda cx: None)

    def handle(self, cx, req):
        return Response.view("probe.html", "Probe", {"result": type(self).body(cx)})


def run(host: FakeHost, body):
    Probe.body = staticmethod(body)
    return host.handle(Request.get("/"), Probe)


def raises(host: FakeHost, body, error):
    def attempt(cx):
        with pytest.raises(error) as caught:
            body(cx)
        return str(caught.value)
    return run(host, attempt).json()["result"]


def test_the_readme_area_counts_visits_and_checks_its_form():
    hello = load_hello()
    host = FakeHost(hello.Hello, grant=["kv"])
    host.handle(Request.get("/"))
    assert host.handle(Request.get("/")).json() == {"name": "Ada", "visits": 2}
    assert host.handle(Request.post("/name", {"name": "Grace"})).location == "/s/73282932000074/test-area"
    invalid = host.handle(Request.post("/name", {"name": "Grace"}))
    assert invalid.field("name") == "“Grace” is already the name greeted."
    assert host.handle(Request.post("/name")).field("name") == "This field is required."
    assert host.kv_json("name") == "Grace"


def test_every_capability_is_refused_by_name_until_granted():
    host = FakeHost()
    for call in (lambda cx: kv.get("k"), lambda cx: facts.get("a", "b"), lambda cx: messages.lookup("x"),
                 lambda cx: timers.at(0, "k"), lambda cx: directory.members(), lambda cx: account.profile(),
                 lambda cx: log.info("x")):
        assert "was not granted the" in raises(host, call, CapabilityDenied)


def test_limits_refuse_with_the_hosts_messages():
    host = FakeHost(grant=["kv", "facts", "messages", "timers"])
    assert "256" in raises(host, lambda cx: kv.set("k" * 257, b""), LimitExceeded)
    assert "1048576" in raises(host, lambda cx: kv.set("k", b"x" * (1024 * 1024 + 1)), LimitExceeded)
    assert "1001" in raises(host, lambda cx: kv.list("", None, 1001), LimitExceeded)
    assert "a-z, 0-9" in raises(host, lambda cx: facts.set("Bad Name", "1"), InvalidArguments)
    assert "JSON" in raises(host, lambda cx: facts.set("ok", "not json"), InvalidArguments)

    def hundred_and_one(cx):
        for i in range(101):
            messages.send("x", "y", "k", "")
    assert "at most 100 messages" in raises(host, hundred_and_one, LimitExceeded)
    assert "days ahead" in raises(host, lambda cx: timers.at(cx.now_ms + 11 * 366 * 86_400_000, "k"), InvalidArguments)


def test_one_call_is_one_transaction():
    host = FakeHost(grant=["kv", "messages"])

    def write_then_fail(cx):
        kv.set("a", b"1")
        messages.send("x", "y", "k", "")
        assert kv.get("a") == b"1"  # the call reads its own write
        raise RuntimeError("boom")
    Probe.body = staticmethod(write_then_fail)
    failed = host.handle(Request.get("/"), Probe)
    assert failed.message == "the area failed with RuntimeError; the details are in the host log"
    assert host.kv_keys() == [] and host.sent_messages() == []
    run(host, lambda cx: kv.set("a", b"1"))
    assert host.kv_value("a") == b"1"


def test_kv_pages_end_exactly_and_cas_retries():
    host = FakeHost(grant=["kv"])
    for i in range(4):
        host.set_kv(f"item/{i}", "1")
    first = run(host, lambda cx: [kv.list_json("item/", None, 2).next, kv.list_json("item/", "item/1", 2).next]).json()
    assert first["result"] == ["item/1", None]
    assert run(host, lambda cx: kv.update_json("n", lambda n: (n or 0) + 5)).json()["result"] == 5


def test_directory_is_for_managers_and_account_for_user_scoped_areas():
    host = FakeHost(grant=["directory", "account"], role=Role.USER)
    assert run(host, lambda cx: len(directory.members())).json()["result"] == 1
    assert "manager" in raises(host, lambda cx: directory.settings(), NotFound)
    assert "scope: user" in raises(host, lambda cx: account.profile(), NotFound)
    user_host = FakeHost(grant=["account"], no_structure=True)
    assert run(user_host, lambda cx: account.profile().email).json()["result"] == "ada@example.com"
    assert "needs a current structure" in raises(FakeHost(grant=["timers"], no_structure=True),
                                                lambda cx: timers.at(0, "k"), NotFound)


def test_a_view_must_name_a_declared_template():
    class Wrong(Area):
        templates = {"a.html": ""}

        def handle(self, cx, req):
            return Response.view("b.html", "B")
    with pytest.raises(AssertionError, match="does not declare"):
        FakeHost(Wrong).handle(Request.get("/"))


def test_host_conflicts_become_the_forms_summary():
    from portico_sdk import Form

    class Create(Area):
        templates = {"f.html": ""}

        def handle(self, cx, req):
            form = Form(req)
            code = form.field("code").required().value()

            def refuse():
                raise Conflict(f"service code {code} is already used")
            form.submit(refuse, lambda: Response.view("f.html", "F"))
            return Response.redirect("/")
    answer = FakeHost(Create).handle(Request.post("/", {"code": "S1"}))
    assert answer.message == "service code S1 is already used"
