"""The area on the SDK's fake host: no server, the host's rules (capabilities
from areas.yaml, limits, one call one transaction)."""

import os

import pytest

from portico_sdk import Request
from portico_sdk.testing import FakeHost

import app

AREAS_YAML = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "areas.yaml")


@pytest.fixture
def host() -> FakeHost:
    # Grants what areas.yaml grants this area, no more.
    return FakeHost(app.__AREA_TYPE__, area_id="__AREA_ID__", areas_yaml=AREAS_YAML)


def test_an_item_is_added_listed_and_counted(host):
    added = host.handle(Request.post("/items", {"what": "Send the March invoice", "due": "2027-03-31"}))
    assert added.location == "/s/73282932000074/__AREA_ID__"
    data = host.handle(Request.get("/")).json()
    assert data["items"][0]["what"] == "Send the March invoice"
    assert data["items"][0]["due"] == "2027-03-31"
    assert data["count"] == 1
    assert host.fact_value("__AREA_ID__", "open") == "1"


def test_each_wrong_field_gets_its_own_error_and_nothing_is_saved(host):
    refused = host.handle(Request.post("/items", {"what": "", "due": "31/03/2027"}))
    assert refused.field("what") == "This field is required."
    assert "31/03/2027" in refused.field("due"), "the error names what was typed"
    assert refused.view.template == "page.html", "the form again"
    assert not [k for k in host.kv_keys() if k.startswith("item/")]


def test_done_removes_the_item_and_a_second_click_is_explained(host):
    host.handle(Request.post("/items", {"what": "Call the buyer"}))
    done = host.handle(Request.post("/done", {"key": "item/000000000001"}))
    assert done.location is not None
    assert host.fact_value("__AREA_ID__", "open") == "0"
    again = host.handle(Request.post("/done", {"key": "item/000000000001"}))
    assert again.message.startswith("This item no longer exists")


def test_dates_are_checked_for_real():
    assert app.due_problem("2028-02-29") is None
    assert app.due_problem("2027-02-29") is not None
    assert app.due_problem("2027-13-01") is not None
    assert app.due_problem("27-01-01") is not None
