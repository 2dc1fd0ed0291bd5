"""Payment delays: a supplier's late-payment claims on public buyers.

The supplier records the invoices a public buyer has not paid on time (or
has paid late); the area computes, by the rules of French public
procurement (delays.py), when each was due, how many days late it is, the
late-payment interest and the 40 € indemnity the buyer owes, and exports the
claims as CSV to attach to a reminder. A timer at each due date recounts
the late invoices and publishes the count as the fact `late-invoices`.

Storage (kv): `invoice/<number>` → the invoice; `timer/<number>` → the id of
its due-date timer; `ecb-rates` → ECB rates the structure entered by half-year.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any, Optional

from portico_sdk import (
    Area,
    Context,
    Form,
    Message,
    Request,
    Response,
    View,
    export,
    facts,
    i18n,
    kv,
    log,
    read_templates,
    timers,
)

import delays

BUYER_KINDS = list(delays.PERIODS)
MAX_AMOUNT = Decimal("1000000000")
DAY_MS = 86_400_000
#: Invoices one structure may track: one page of kv.
MAX_INVOICES = 500


def today(cx: Context) -> datetime.date:
    """The host's day (UTC)."""
    return datetime.datetime.fromtimestamp(cx.now_ms / 1000, datetime.timezone.utc).date()


def day_ms(day: datetime.date) -> int:
    """Midnight UTC of ``day``, in ms since the epoch (what the host's `date` filter reads)."""
    return int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp()) * 1000


def parse_day(text: str) -> Optional[datetime.date]:
    """A YYYY-MM-DD date (what a date input sends), or None."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def invoices() -> list[dict[str, Any]]:
    """Every tracked invoice, by number."""
    return [value for _, value in kv.list_json("invoice/", None, MAX_INVOICES).items]


def entered_rates() -> dict[str, str]:
    """The ECB rates the structure entered, by half-year ("2026-1")."""
    return kv.get_json("ecb-rates", {})


def claim_of(invoice: dict[str, Any], now: datetime.date, rates: dict[str, str]) -> delays.Claim:
    """The claim of a stored invoice."""
    paid = parse_day(invoice["paid_on"]) if invoice.get("paid_on") else None
    return delays.claim(Decimal(invoice["amount"]), invoice["buyer_kind"],
                        datetime.date.fromisoformat(invoice["received_on"]), paid, now, rates)


def page(cx: Context) -> View:
    """The list of claims with their totals, and the forms."""
    now = today(cx)
    rates = entered_rates()
    rows = []
    interest = indemnities = Decimal("0.00")
    late = 0
    for invoice in invoices():
        c = claim_of(invoice, now, rates)
        interest += c.interest
        indemnities += c.indemnity
        late += 1 if c.late and not invoice.get("paid_on") else 0
        rows.append({
            "number": invoice["number"],
            "buyer": invoice["buyer"],
            "buyer_kind": invoice["buyer_kind"],
            "amount": invoice["amount"],
            "received_ms": day_ms(datetime.date.fromisoformat(invoice["received_on"])),
            "due_ms": day_ms(c.due),
            "paid_ms": day_ms(parse_day(invoice["paid_on"])) if invoice.get("paid_on") else None,
            "days_late": c.days_late,
            "days_left": c.days_left,
            "rate": str(c.rate.total) if c.rate else None,
            "rate_assumed": bool(c.rate and c.rate.source == "assumed"),
            "interest": str(c.interest),
            "indemnity": str(c.indemnity),
            "total": str(c.total),
        })
    return Response.view("delays.html", i18n.message("title"), {
        "rows": rows,
        "late": late,
        "interest": str(interest),
        "indemnities": str(indemnities),
        "total": str(interest + indemnities),
        "today": now.isoformat(),
        "buyer_kinds": [{"value": k, "days": delays.PERIODS[k]} for k in BUYER_KINDS],
        "half_year": f"{now.year}-{1 if now.month <= 6 else 2}",
        "rates": [{"half_year": k, "rate": v} for k, v in sorted(rates.items())],
        "assumed": any(r["rate_assumed"] for r in rows),
    })


def publish_late_count(cx: Context) -> int:
    """Sets the fact `late-invoices` to the number of unpaid late invoices."""
    now = today(cx)
    rates = entered_rates()
    count = sum(1 for inv in invoices() if not inv.get("paid_on") and claim_of(inv, now, rates).late)
    facts.set_json("late-invoices", count)
    return count


def add_invoice(cx: Context, req: Request) -> Response:
    """Tracks a new invoice (422 with every faulty field otherwise)."""
    form = Form(req)
    number = form.field("number").required().max_chars(40).value()
    buyer = form.field("buyer").required().max_chars(100).value()
    kind = form.field("buyer-kind").required().one_of(BUYER_KINDS).value()
    amount = form.field("amount").required().decimal(
        i18n.message("amount.invalid"), minimum=Decimal("0.01"), maximum=MAX_AMOUNT,
        too_small=i18n.message("amount.positive"), too_large=i18n.message("amount.too-large"))
    now = today(cx)
    received = form.field("received-on").required().check(
        lambda v: parse_day(v) is not None, i18n.message("date.invalid")).check(
        lambda v: parse_day(v) <= now, i18n.message("date.future")).value()  # type: ignore[operator]
    paid = form.field("paid-on").check(
        lambda v: parse_day(v) is not None, i18n.message("date.invalid")).check(
        lambda v: parse_day(v) <= now, i18n.message("date.future")).optional()
    if paid and received and not form.has_error("received-on") and not form.has_error("paid-on"):
        if parse_day(paid) < parse_day(received):  # type: ignore[operator]
            form.error("paid-on", i18n.message("date.before-receipt"))
    if number and kv.get(f"invoice/{number}") is not None:
        form.error("number", i18n.message("number.taken", number=number))
    if not form.has_error("number") and len(kv.list("invoice/", None, MAX_INVOICES)) >= MAX_INVOICES:
        form.fail(i18n.message("too-many", max=MAX_INVOICES))
    form.finish(lambda: page(cx))
    invoice = {"number": number, "buyer": buyer, "buyer_kind": kind, "amount": str(amount),
               "received_on": received, "paid_on": paid}
    kv.set_json(f"invoice/{number}", invoice)
    if not paid:
        due = claim_of(invoice, now, {}).due
        timer = timers.at(day_ms(due + datetime.timedelta(days=1)), "due", number)
        kv.set(f"timer/{number}", timer)
    publish_late_count(cx)
    return Response.redirect(cx.href("/"))


def record_payment(cx: Context, req: Request) -> Response:
    """Records the day a tracked invoice was paid."""
    form = Form(req)
    number = form.field("number").required().value()
    invoice = kv.get_json(f"invoice/{number}") if number else None
    if invoice is None:
        return Response.not_found()
    now = today(cx)
    paid = form.field("paid-on").required().check(
        lambda v: parse_day(v) is not None, i18n.message("date.invalid")).check(
        lambda v: parse_day(v) <= now, i18n.message("date.future")).check(
        lambda v: parse_day(v) >= datetime.date.fromisoformat(invoice["received_on"]),  # type: ignore[operator]
        i18n.message("date.before-receipt")).value()
    form.finish(lambda: page(cx))
    invoice["paid_on"] = paid
    kv.set_json(f"invoice/{number}", invoice)
    cancel_timer(number)
    publish_late_count(cx)
    return Response.redirect(cx.href("/"))


def cancel_timer(number: str) -> None:
    """Cancels the due-date timer of invoice ``number``, if it has one."""
    timer = kv.get(f"timer/{number}")
    if timer is not None:
        timers.cancel(timer.decode("utf-8"))
        kv.delete(f"timer/{number}")


def delete_invoice(cx: Context, req: Request) -> Response:
    """Stops tracking an invoice."""
    number = (req.form_value("number") or "").strip()
    if not kv.delete(f"invoice/{number}"):
        return Response.not_found()
    cancel_timer(number)
    publish_late_count(cx)
    return Response.redirect(cx.href("/"))


def set_rate(cx: Context, req: Request) -> Response:
    """Records the ECB rate the structure read for a half-year (e.g. 2026-2)."""
    form = Form(req)
    half = form.field("half-year").required().check(valid_half_year, i18n.message("half-year.invalid")).value()
    rate = form.field("rate").required().decimal(
        i18n.message("rate-invalid"), minimum=Decimal("-1"), maximum=Decimal("25"),
        too_small=i18n.message("rate-invalid"), too_large=i18n.message("rate-invalid"))
    form.finish(lambda: page(cx))
    kv.update_json("ecb-rates", lambda rates: {**(rates or {}), half: str(rate)})
    publish_late_count(cx)
    return Response.redirect(cx.href("/"))


def valid_half_year(text: str) -> bool:
    """``YYYY-1`` or ``YYYY-2`` between 2000 and 2100."""
    year, _, half = text.partition("-")
    return year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100 and half in ("1", "2")


HEADERS = {
    "fr": ["Facture", "Acheteur", "Montant TTC", "Reçue le", "Échéance", "Payée le",
           "Jours de retard", "Taux (%)", "Intérêts moratoires", "Indemnité forfaitaire", "Total dû"],
    "en": ["Invoice", "Buyer", "Amount incl. VAT", "Received on", "Due on", "Paid on",
           "Days late", "Rate (%)", "Late-payment interest", "Flat indemnity", "Total owed"],
}


def export_csv(cx: Context) -> Response:
    """The claims as CSV (one line per late invoice), in the reader's language."""
    now = today(cx)
    rates = entered_rates()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if cx.language == "fr" else ",")
    writer.writerow(HEADERS[cx.language])
    for inv in invoices():
        c = claim_of(inv, now, rates)
        if not c.late:
            continue
        writer.writerow([inv["number"], inv["buyer"], inv["amount"], inv["received_on"], c.due.isoformat(),
                         inv.get("paid_on") or "", c.days_late, str(c.rate.total) if c.rate else "",
                         str(c.interest), str(c.indemnity), str(c.total)])
    return Response.download(f"late-payment-claims-{now.isoformat()}.csv", "text/csv; charset=utf-8",
                             out.getvalue())


class PaymentDelays(Area):
    templates = read_templates(__file__)
    messages = i18n.catalogues(__file__)

    def handle(self, cx: Context, req: Request) -> Response:
        match (req.method, req.path):
            case ("GET", "/"):
                return page(cx)
            case ("GET", "/claims.csv"):
                return export_csv(cx)
            case ("POST", "/invoices"):
                return add_invoice(cx, req)
            case ("POST", "/paid"):
                return record_payment(cx, req)
            case ("POST", "/delete"):
                return delete_invoice(cx, req)
            case ("POST", "/rates"):
                return set_rate(cx, req)
            case _:
                return Response.not_found()

    def on_message(self, cx: Context, msg: Message) -> None:
        if msg.kind == "due" and msg.from_area == cx.area:
            kv.delete(f"timer/{msg.payload}")
            count = publish_late_count(cx)
            log.info(f"invoice {msg.payload} reached its due date; {count} late invoice(s)")


Plugin = export(PaymentDelays)
