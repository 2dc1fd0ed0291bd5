"""The late-payment rules, on worked examples."""

import datetime
from decimal import Decimal

import delays

D = datetime.date


def test_a_state_invoice_is_due_30_days_after_receipt_and_owes_interest_at_ecb_plus_8():
    # Received 2024-01-10, due 2024-02-09; paid 2024-03-10: 30 days late.
    # Interest starts 2024-02-10 (first half of 2024, ECB 4.50 %): 12.50 %.
    c = delays.claim(Decimal("10000.00"), "state", D(2024, 1, 10), D(2024, 3, 10), D(2024, 6, 1))
    assert c.due == D(2024, 2, 9)
    assert c.days_late == 30
    assert c.rate.total == Decimal("12.50")
    # 10000 × 12.5 % × 30 / 365 = 102.739… → 102.74
    assert c.interest == Decimal("102.74")
    assert c.indemnity == Decimal("40.00")
    assert c.total == Decimal("142.74")


def test_hospitals_have_50_days_and_public_companies_60():
    assert delays.claim(Decimal("1"), "health", D(2025, 1, 1), None, D(2025, 1, 2)).due == D(2025, 2, 20)
    assert delays.claim(Decimal("1"), "public-company", D(2025, 1, 1), None, D(2025, 1, 2)).due == D(2025, 3, 2)


def test_paid_on_the_due_date_owes_nothing():
    c = delays.claim(Decimal("500"), "local", D(2025, 3, 1), D(2025, 3, 31), D(2025, 5, 1))
    assert (c.days_late, c.interest, c.indemnity, c.rate) == (0, Decimal("0.00"), Decimal("0.00"), None)


def test_the_rate_is_the_one_of_the_half_year_interest_starts_in():
    # Due 2025-06-30: interest starts 2025-07-01, second half of 2025 (2.15 %).
    c = delays.claim(Decimal("1000"), "state", D(2025, 5, 31), None, D(2025, 7, 30))
    assert c.due == D(2025, 6, 30)
    assert c.rate.half_year == (2025, 2) and c.rate.total == Decimal("10.15")
    assert c.days_late == 30


def test_a_later_half_year_uses_the_entered_rate_or_says_it_assumed_one():
    assumed = delays.ecb_rate(D(2026, 8, 1))
    assert (assumed.ecb, assumed.source) == (Decimal("2.15"), "assumed")
    entered = delays.ecb_rate(D(2026, 8, 1), {"2026-2": "2.40"})
    assert (entered.ecb, entered.source) == (Decimal("2.40"), "entered")
    # An entered earlier half-year is the latest known for a later one.
    later = delays.ecb_rate(D(2027, 2, 1), {"2026-2": "2.40"})
    assert (later.ecb, later.source) == (Decimal("2.40"), "assumed")


def test_an_unpaid_invoice_counts_to_today_and_days_left_before_it():
    c = delays.claim(Decimal("100"), "state", D(2025, 1, 1), None, D(2025, 1, 21))
    assert (c.days_late, c.days_left, c.late) == (0, 10, False)
