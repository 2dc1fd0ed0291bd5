"""The area through the SDK's fake host: pages, forms, kv, facts and timers."""

import datetime
import os

import pytest

from portico_sdk import Request
from portico_sdk.testing import FakeHost

import app

AREAS_YAML = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "areas.yaml")
DAY = 86_400_000
# 2025-03-01 00:00 UTC
MARCH_1 = int(datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc).timestamp()) * 1000


@pytest.fixture
def host() -> FakeHost:
    # The capabilities the deployment grants, read from areas.yaml.
    return FakeHost(app.PaymentDelays, area_id="payment-delays", areas_yaml=AREAS_YAML, now_ms=MARCH_1)


def add(host, **fields):
    form = {"number": "F-1", "buyer": "Ville de Lyon", "buyer-kind": "local", "amount": "1200,00",
            "received-on": "2025-01-10", "paid-on": ""}
    form.update(fields)
    return host.handle(Request.post("/invoices", form))


def test_an_empty_page_invites_to_track_an_invoice(host):
    view = host.handle(Request.get("/"))
    assert view.template == "delays.html"
    assert view.json()["rows"] == []


def test_a_late_invoice_shows_its_interest_and_publishes_the_late_count(host):
    answer = add(host)
    assert answer.location == "/s/73282932000074/payment-delays"
    row = host.handle(Request.get("/")).json()["rows"][0]
    # Received 2025-01-10, due 2025-02-09, 20 days late on 2025-03-01, 3.15 % + 8.
    assert row["days_late"] == 20
    assert row["rate"] == "11.15"
    assert row["interest"] == "7.33"  # 1200 × 11.15 % × 20 / 365 = 7.331…
    assert row["indemnity"] == "40.00"
    assert host.fact_value("payment-delays", "late-invoices") == "1"


def test_every_faulty_field_is_reported_at_once_and_nothing_is_stored(host):
    answer = add(host, number="", amount="12,345", **{"received-on": "2031-01-01", "buyer-kind": "army"})
    assert answer.field("number") == "This field is required."
    assert answer.field("amount") == "Enter an amount such as 1250.50, with at most two decimals."
    assert answer.field("received-on") == "This date is in the future; enter a date up to today."
    assert answer.field("buyer-kind").startswith("Choose one of: state, local")
    assert answer.message == "Please correct the 4 fields marked below."
    assert answer.view.template == "delays.html"
    assert host.kv_keys() == []


def test_a_payment_before_receipt_and_a_duplicate_number_are_refused(host):
    assert add(host, **{"paid-on": "2025-01-01"}).field("paid-on") == (
        "The payment cannot be before the buyer received the invoice.")
    add(host)
    assert add(host).field("number") == "Invoice F-1 is already tracked."


def test_a_timer_at_the_due_date_updates_the_late_count(host):
    add(host, **{"received-on": "2025-02-25"})  # due 2025-03-27
    assert host.fact_value("payment-delays", "late-invoices") == "0"
    [timer] = host.scheduled_timers()
    assert timer.kind == "due" and timer.payload == "F-1"
    assert host.advance(25 * DAY) == []  # 2025-03-26: not yet
    fired = host.advance(2 * DAY)  # 2025-03-28: one day late
    assert [f.error for f in fired] == [None]
    assert host.fact_value("payment-delays", "late-invoices") == "1"
    assert host.kv_value("timer/F-1") is None


def test_recording_the_payment_cancels_the_timer_and_fixes_the_interest(host):
    add(host, **{"received-on": "2025-02-25"})
    host.advance(40 * DAY)  # 2025-04-10
    answer = host.handle(Request.post("/paid", {"number": "F-1", "paid-on": "2025-04-06"}))
    assert answer.location.endswith("/payment-delays")
    row = host.handle(Request.get("/")).json()["rows"][0]
    assert row["days_late"] == 10  # due 2025-03-27, paid 2025-04-06
    host.advance(30 * DAY)
    assert host.handle(Request.get("/")).json()["rows"][0]["days_late"] == 10
    assert host.fact_value("payment-delays", "late-invoices") == "0"


def test_an_entered_ecb_rate_replaces_the_assumed_one(host):
    host.now_ms = int(datetime.datetime(2026, 9, 1, tzinfo=datetime.timezone.utc).timestamp()) * 1000
    add(host, **{"received-on": "2026-07-01"})  # due 2026-07-31, 32 days late
    row = host.handle(Request.get("/")).json()["rows"][0]
    assert (row["rate"], row["rate_assumed"]) == ("10.15", True)
    assert host.handle(Request.post("/rates", {"half-year": "2026-2", "rate": "2,40"})).location
    row = host.handle(Request.get("/")).json()["rows"][0]
    assert (row["rate"], row["rate_assumed"]) == ("10.40", False)
    bad = host.handle(Request.post("/rates", {"half-year": "2026-3", "rate": "99"}))
    assert bad.field("half-year") == "Enter a year and 1 or 2, such as 2026-2."
    assert bad.field("rate") == "Enter a rate between -1 and 25, such as 2.15."


def test_the_claims_export_lists_late_invoices_in_the_readers_language(host):
    add(host)
    add(host, number="F-2", **{"received-on": "2025-02-20"})  # not late yet
    csv = host.handle(Request.get("/claims.csv"))
    assert csv.filename == "late-payment-claims-2025-03-01.csv"
    lines = csv.bytes.decode("utf-8").splitlines()
    assert lines[0].startswith("Facture;Acheteur;Montant TTC")
    assert lines[1:] == ["F-1;Ville de Lyon;1200.00;2025-01-10;2025-02-09;;20;11.15;7.33;40.00;47.33"]


def test_stop_tracking_removes_the_invoice_and_its_timer(host):
    add(host, **{"received-on": "2025-02-25"})
    host.handle(Request.post("/delete", {"number": "F-1"}))
    assert host.kv_keys() == [] and host.scheduled_timers() == []
    assert host.handle(Request.post("/delete", {"number": "F-1"})).__class__.__name__ == "NotFoundAnswer"


def test_without_the_kv_capability_the_page_fails_naming_it():
    host = FakeHost(app.PaymentDelays, area_id="payment-delays", grant=["facts"], now_ms=MARCH_1)
    answer = host.handle(Request.get("/"))
    assert "`kv` capability" in answer.message
