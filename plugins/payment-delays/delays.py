"""Late-payment rules of French public procurement (Code de la commande publique).

Pure functions, no host: the area (app.py) stores invoices and renders them,
this module says when an invoice is due and what the buyer owes once late.

- Payment period (délai global de paiement, art. R2192-10 to R2192-12): 30 days
  for the State, local authorities and their public establishments; 50 days
  for public health establishments; 60 days for public companies. It runs
  from the day the buyer received the invoice (on Chorus Pro, the day it was
  made available to the buyer).
- Late-payment interest (intérêts moratoires, art. R2192-31): from the day
  after the period ends to the day of payment included, at the ECB's main
  refinancing rate in force on the first day of the calendar half-year in
  which interest starts to run, plus eight points, on the amount including
  VAT: amount × rate × days / 365, rounded to the cent.
- Flat indemnity for recovery costs (art. D2192-35): 40 euros per late invoice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

#: Payment period in days, by kind of buyer.
PERIODS: dict[str, int] = {"state": 30, "local": 30, "health": 50, "public-company": 60}

#: Points added to the ECB rate.
MARGIN = Decimal("8")

#: The flat indemnity for recovery costs, in euros.
INDEMNITY = Decimal("40.00")

#: The ECB's main refinancing rate (percent) on the first day of each
#: half-year (year, 1 for January–June or 2 for July–December).
ECB_RATES: dict[tuple[int, int], Decimal] = {
    (2019, 1): Decimal("0.00"), (2019, 2): Decimal("0.00"),
    (2020, 1): Decimal("0.00"), (2020, 2): Decimal("0.00"),
    (2021, 1): Decimal("0.00"), (2021, 2): Decimal("0.00"),
    (2022, 1): Decimal("0.00"), (2022, 2): Decimal("0.00"),
    (2023, 1): Decimal("2.50"), (2023, 2): Decimal("4.00"),
    (2024, 1): Decimal("4.50"), (2024, 2): Decimal("4.25"),
    (2025, 1): Decimal("3.15"), (2025, 2): Decimal("2.15"),
}


def half_year(day: datetime.date) -> tuple[int, int]:
    """The calendar half-year of ``day``: (year, 1) or (year, 2)."""
    return (day.year, 1 if day.month <= 6 else 2)


@dataclass
class Rate:
    """The ECB rate that applies, and whether it is known or assumed."""

    half_year: tuple[int, int]
    ecb: Decimal
    #: "table" (published rate this portal ships), "entered" (set by the
    #: structure) or "assumed" (the last rate known, for a later half-year).
    source: str

    @property
    def total(self) -> Decimal:
        """The interest rate: ECB rate plus eight points."""
        return self.ecb + MARGIN


def ecb_rate(day: datetime.date, entered: Optional[dict[str, str]] = None) -> Rate:
    """The ECB rate for the half-year of ``day``: one the structure entered (``"2026-1"``
    → ``"2.15"``) first, then the table, else the latest known before it, marked assumed."""
    key = half_year(day)
    if entered and f"{key[0]}-{key[1]}" in entered:
        return Rate(key, Decimal(entered[f"{key[0]}-{key[1]}"]), "entered")
    if key in ECB_RATES:
        return Rate(key, ECB_RATES[key], "table")
    known = sorted(k for k in ECB_RATES if k < key)
    if entered:
        for text in sorted(entered):
            year, half = (int(p) for p in text.split("-"))
            if (year, half) < key:
                known.append((year, half))
        known.sort()
    if not known:
        return Rate(key, Decimal("0.00"), "assumed")
    last = known[-1]
    label = f"{last[0]}-{last[1]}"
    value = Decimal(entered[label]) if entered and label in entered else ECB_RATES[last]
    return Rate(key, value, "assumed")


@dataclass
class Claim:
    """Where one invoice stands on ``today`` (or on the day it was paid)."""

    due: datetime.date
    #: Days past the due date (0 while not late).
    days_late: int
    #: Days left before the due date (0 once due).
    days_left: int
    rate: Optional[Rate]
    interest: Decimal
    indemnity: Decimal

    @property
    def late(self) -> bool:
        """True once at least one day is late."""
        return self.days_late > 0

    @property
    def total(self) -> Decimal:
        """Interest plus indemnity."""
        return self.interest + self.indemnity


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half up to the cent."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def claim(amount: Decimal, buyer: str, received: datetime.date, paid: Optional[datetime.date],
          today: datetime.date, entered: Optional[dict[str, str]] = None) -> Claim:
    """What the buyer owes for an invoice of ``amount`` (VAT included) received on
    ``received``, paid on ``paid`` (None: not yet, counted to ``today``)."""
    due = received + datetime.timedelta(days=PERIODS[buyer])
    end = paid or today
    days_late = max(0, (end - due).days)
    days_left = 0 if paid else max(0, (due - today).days)
    if days_late == 0:
        return Claim(due, 0, days_left, None, Decimal("0.00"), Decimal("0.00"))
    rate = ecb_rate(due + datetime.timedelta(days=1), entered)
    interest = cents(amount * rate.total / Decimal(100) * Decimal(days_late) / Decimal(365))
    return Claim(due, days_late, days_left, rate, interest, INDEMNITY)
