"""The stored priority score: one SQL statement refreshes one customer or all of them.

The formula is documented in docs/priority-score.md; keep the two in step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from accounts.buckets import BUCKET_SQL
from accounts.errors import ServiceError
from accounts.fx import rates_on
from accounts.models import Customer
from disputes.models import ACTIVE_STATUSES
from invoices.services.adjustments import small_balance_limit as ledger_small_balance_limit

from ..models import CONTACT_KINDS, QueueRiskClass

QUEUE_REFRESH_SQL = """
WITH given AS (
    -- risk classes being set now (queue_risk_classes_set); otherwise the stored one is kept
    SELECT * FROM unnest(%(risk_ids)s::bigint[], %(risk_classes)s::varchar[])
        AS g(customer_id, risk_class)
),
target AS (
    SELECT c.id, c.currency_id, c.credit_limit, c.credit_status, c.do_not_contact,
           COALESCE(g.risk_class, q.risk_class, '') AS risk_class
    FROM accounts_customer c
    LEFT JOIN given g ON g.customer_id = c.id
    LEFT JOIN collections_app_queuestate q ON q.customer_id = c.id
    WHERE %(all)s OR c.id = ANY(%(ids)s)
),
rate AS (
    SELECT * FROM unnest(%(rate_codes)s::varchar[], %(rate_values)s::numeric[])
        AS r(currency_id, rate)
),
-- the open disputed amount per invoice: Σ of its lines in active disputes
disputed AS (
    SELECT di.invoice_id, SUM(di.amount) AS amount
    FROM disputes_disputeline di
    JOIN disputes_dispute d ON d.id = di.dispute_id
    JOIN target t ON t.id = d.customer_id
    WHERE d.status = ANY(%(dispute_active)s)
    GROUP BY di.invoice_id
),
items AS (
    -- only the disputed part (capped at the open amount) is set aside: an invoice of
    -- 1,000 with 200 in dispute counts 800 as collectable (docs/disputes.md)
    SELECT i.customer_id,
           i.currency_id,
           -- each item converted and rounded to the cent, then summed: the one rule the
           -- aging, snapshots and dashboard follow (docs/reporting.md)
           ROUND(i.open_amount * r.rate, 2) AS amt,
           ROUND((i.open_amount - LEAST(COALESCE(d.amount, 0), i.open_amount)) * r.rate, 2)
               AS coll,
           ROUND(LEAST(COALESCE(d.amount, 0), i.open_amount) * r.rate, 2) AS disp,
           CASE WHEN i.currency_id = t.currency_id THEN i.open_amount ELSE 0 END AS own,
           %(today)s::date - i.due_date AS dpd,
           COALESCE(d.amount, 0) >= i.open_amount AS disputed
    FROM invoices_invoice i
    JOIN target t ON t.id = i.customer_id
    LEFT JOIN rate r ON r.currency_id = i.currency_id
    LEFT JOIN disputed d ON d.invoice_id = i.id
    WHERE i.open_amount > 0
),
inv AS (
    SELECT customer_id,
           SUM(amt) AS open_amt,
           SUM(own) AS open_own,
           COALESCE(SUM(coll) FILTER (WHERE dpd > 0 AND NOT disputed), 0) AS overdue,
           COALESCE(SUM(coll) FILTER (WHERE dpd > 60 AND NOT disputed), 0) AS over_60,
           COALESCE(SUM(disp), 0) AS disputed_amt,
           COALESCE(SUM(coll * CASE WHEN dpd > 90 THEN 2.0 WHEN dpd > 60 THEN 1.5
                                    WHEN dpd > 30 THEN 1.0 ELSE 0.5 END)
                    FILTER (WHERE dpd > 0 AND NOT disputed), 0) AS weighted,
           COALESCE(MAX(dpd) FILTER (WHERE dpd > 0 AND NOT disputed), 0) AS oldest,
           COALESCE(bool_or(amt IS NULL AND dpd > 0 AND NOT disputed), false) AS overdue_unrated,
           ARRAY_AGG(DISTINCT currency_id) FILTER (WHERE amt IS NULL) AS unrated
    FROM items
    GROUP BY customer_id
),
prom AS (
    SELECT p.customer_id,
           (ARRAY_AGG(p.amount * r.rate ORDER BY p.promised_date DESC, p.id DESC)
               FILTER (WHERE p.status = 'broken'))[1] AS broken_amt,
           MAX(p.promised_date) FILTER (WHERE p.status = 'broken') AS broken_date,
           SUM(p.amount * r.rate)
               FILTER (WHERE p.status = 'open' AND p.promised_date = %(today)s) AS due_today,
           bool_or(p.status = 'open' AND p.promised_date = %(today)s) AS any_due_today,
           ARRAY_AGG(DISTINCT p.currency_id) FILTER (WHERE r.rate IS NULL) AS unrated,
           MIN(p.promised_date)
               FILTER (WHERE p.status = 'open' AND p.promised_date > %(today)s) AS next_date
    FROM collections_app_promise p
    JOIN target t ON t.id = p.customer_id
    LEFT JOIN rate r ON r.currency_id = p.currency_id
    WHERE (p.status = 'open' AND p.promised_date >= %(today)s)
       OR (p.status = 'broken' AND p.promised_date >= %(today)s::date - %(broken_window)s)
    GROUP BY p.customer_id
),
promised AS (
    -- what open promises not yet due cover of the overdue debt (docs/priority-score.md):
    -- one naming invoices at most their overdue open amount, one naming none its amount
    SELECT p.customer_id,
           SUM(r.rate * CASE WHEN named.overdue IS NULL
                             THEN GREATEST(p.amount - p.collected_amount, 0)
                             ELSE LEAST(GREATEST(p.amount - p.collected_amount, 0),
                                        named.overdue) END) AS cover
    FROM collections_app_promise p
    JOIN target t ON t.id = p.customer_id
    JOIN rate r ON r.currency_id = p.currency_id
    LEFT JOIN LATERAL (
        SELECT SUM(i.open_amount - LEAST(COALESCE(d.amount, 0), i.open_amount))
                   FILTER (WHERE i.due_date < %(today)s) AS overdue,
               COUNT(*) AS named
        FROM collections_app_promise_invoices pi
        JOIN invoices_invoice i ON i.id = pi.invoice_id
        LEFT JOIN disputed d ON d.invoice_id = i.id
        WHERE pi.promise_id = p.id
    ) named ON named.named > 0
    WHERE p.status = 'open' AND p.promised_date > %(today)s
    GROUP BY p.customer_id
),
plan AS (
    SELECT p.customer_id,
           MAX((p.evaluated_at AT TIME ZONE %(tz)s)::date)
               FILTER (WHERE p.status = 'broken') AS broken_date,
           (ARRAY_AGG(n.amount * r.rate ORDER BY n.due_date, n.id)
               FILTER (WHERE n.id IS NOT NULL))[1] AS next_amt,
           MIN(n.due_date) AS next_date,
           ARRAY_AGG(DISTINCT p.currency_id) FILTER (WHERE r.rate IS NULL) AS unrated
    FROM collections_app_paymentplan p
    JOIN target t ON t.id = p.customer_id
    LEFT JOIN collections_app_paymentplaninstallment n
           ON n.plan_id = p.id AND p.status = 'open' AND n.due_date >= %(today)s
    LEFT JOIN rate r ON r.currency_id = p.currency_id
    WHERE p.status = 'open'
       OR (p.status = 'broken'
           AND (p.evaluated_at AT TIME ZONE %(tz)s)::date >= %(today)s::date - %(broken_window)s)
    GROUP BY p.customer_id
),
fu AS (
    SELECT f.customer_id,
           MIN(f.due_date) FILTER (WHERE f.due_date <= %(today)s) AS due,
           MIN(f.due_date) FILTER (WHERE f.due_date > %(today)s) AS next_due
    FROM collections_app_followup f
    JOIN target t ON t.id = f.customer_id
    -- an escalation's follow-up is the credit manager's, worked in the credit inbox: it
    -- does not make the account the collector's work of the day
    WHERE f.status = 'open' AND f.escalation_id IS NULL
    GROUP BY f.customer_id
),
contact AS (
    SELECT a.customer_id, MAX(a.occurred_at) AS last_at
    FROM collections_app_activity a
    JOIN target t ON t.id = a.customer_id
    WHERE a.kind = ANY(%(contact_kinds)s)
    GROUP BY a.customer_id
),
parts AS (
    SELECT t.id AS customer_id, t.do_not_contact, t.credit_status, t.risk_class,
           COALESCE(inv.open_amt, 0) AS open_amt,
           COALESCE(inv.overdue, 0) AS overdue,
           COALESCE(inv.over_60, 0) AS over_60,
           COALESCE(inv.disputed_amt, 0) AS disputed_amt,
           COALESCE(inv.weighted, 0) AS weighted,
           COALESCE(inv.oldest, 0) AS oldest,
           COALESCE(inv.overdue, 0) > 0 OR COALESCE(inv.overdue_unrated, false) AS has_overdue,
           ARRAY(SELECT DISTINCT u FROM unnest(inv.unrated || prom.unrated || plan.unrated) u
                 WHERE u IS NOT NULL ORDER BY u) AS missing_rates,
           CASE WHEN t.credit_limit > 0
                THEN LEAST(ROUND(100 * COALESCE(inv.open_own, 0) / t.credit_limit),
                           %(credit_use_cap)s)::int END AS credit_use,
           prom.broken_amt, prom.broken_date, prom.due_today,
           COALESCE(prom.any_due_today, false) AS any_due_today,
           prom.next_date,
           COALESCE(promised.cover, 0) AS promise_cover,
           plan.broken_date AS plan_broken_date, plan.next_amt AS plan_next_amt,
           plan.next_date AS plan_next_date,
           fu.due AS fu_due, fu.next_due AS fu_next,
           contact.last_at,
           LEAST(COALESCE(%(today)s::date - (contact.last_at AT TIME ZONE %(tz)s)::date,
                          %(silence_cap)s), %(silence_cap)s) AS days_silent
    FROM target t
    LEFT JOIN inv ON inv.customer_id = t.id
    LEFT JOIN prom ON prom.customer_id = t.id
    LEFT JOIN promised ON promised.customer_id = t.id
    LEFT JOIN plan ON plan.customer_id = t.id
    LEFT JOIN fu ON fu.customer_id = t.id
    LEFT JOIN contact ON contact.customer_id = t.id
),
scored AS (
    SELECT parts.*,
           (  100 * LN(1 + weighted / 1000)
            + CASE WHEN broken_date IS NOT NULL OR plan_broken_date IS NOT NULL
                   THEN 150 ELSE 0 END
            + CASE WHEN any_due_today THEN 120 ELSE 0 END
            + CASE WHEN fu_due IS NOT NULL THEN 100 ELSE 0 END
            + CASE WHEN has_overdue THEN 2 * days_silent ELSE 0 END
            + CASE WHEN has_overdue THEN CASE credit_status WHEN 'watch' THEN 20
                   WHEN 'hold' THEN 40 WHEN 'stop' THEN 60 ELSE 0 END ELSE 0 END
            + CASE WHEN has_overdue THEN CASE risk_class WHEN 'high' THEN %(risk_high)s
                   WHEN 'medium' THEN %(risk_medium)s ELSE 0 END ELSE 0 END
            + CASE WHEN credit_use >= 100 THEN 30 WHEN credit_use >= 80 THEN 15 ELSE 0 END
            + 10 * LN(1 + GREATEST(open_amt - disputed_amt, 0) / 10000)
           ) * CASE WHEN broken_date IS NOT NULL OR plan_broken_date IS NOT NULL
                         OR fu_due IS NOT NULL THEN 1
                    WHEN plan_next_date IS NOT NULL THEN 0.2
                    -- a promise lowers the score only for the share of the overdue it covers
                    WHEN next_date IS NOT NULL
                    THEN 1 - 0.8 * CASE WHEN overdue > 0 THEN LEAST(promise_cover / overdue, 1)
                                        ELSE 1 END
                    ELSE 1 END AS raw
    FROM parts
)
INSERT INTO collections_app_queuestate (
    customer_id, score, in_queue, currency_id, open_amount, overdue_amount, over_60_amount,
    disputed_amount, oldest_days_past_due, oldest_bucket, missing_rates, credit_use_pct,
    broken_promise_amount, broken_promise_date, promise_due_today_amount, next_promise_date,
    plan_next_amount, plan_next_date, broken_plan_date, follow_up_due_date, next_follow_up_date,
    last_contact_at, do_not_contact, risk_class, refreshed_at
)
SELECT customer_id,
       CASE WHEN do_not_contact THEN 0
            -- a small balance, every amount counted: to the end of the queue, in its order
            WHEN open_amt - disputed_amt > 0 AND open_amt - disputed_amt < %(small_balance)s
                 AND cardinality(missing_rates) = 0
            THEN ROUND((raw / 10000)::numeric, 2)
            ELSE ROUND(raw::numeric, 2) END,
       NOT do_not_contact AND (has_overdue OR fu_due IS NOT NULL OR any_due_today
                               OR broken_date IS NOT NULL OR plan_broken_date IS NOT NULL),
       %(rep)s, ROUND(open_amt, 2), ROUND(overdue, 2), ROUND(over_60, 2), ROUND(disputed_amt, 2),
       oldest, @OLDEST_BUCKET@, missing_rates,
       credit_use, ROUND(broken_amt, 2), broken_date, ROUND(due_today, 2), next_date,
       ROUND(plan_next_amt, 2), plan_next_date, plan_broken_date,
       fu_due, fu_next, last_at, do_not_contact, risk_class, %(now)s
FROM scored
ON CONFLICT (customer_id) DO UPDATE SET
    score = EXCLUDED.score, in_queue = EXCLUDED.in_queue, currency_id = EXCLUDED.currency_id,
    open_amount = EXCLUDED.open_amount, overdue_amount = EXCLUDED.overdue_amount,
    over_60_amount = EXCLUDED.over_60_amount, disputed_amount = EXCLUDED.disputed_amount,
    oldest_days_past_due = EXCLUDED.oldest_days_past_due,
    oldest_bucket = EXCLUDED.oldest_bucket, missing_rates = EXCLUDED.missing_rates,
    credit_use_pct = EXCLUDED.credit_use_pct,
    broken_promise_amount = EXCLUDED.broken_promise_amount,
    broken_promise_date = EXCLUDED.broken_promise_date,
    promise_due_today_amount = EXCLUDED.promise_due_today_amount,
    next_promise_date = EXCLUDED.next_promise_date,
    plan_next_amount = EXCLUDED.plan_next_amount, plan_next_date = EXCLUDED.plan_next_date,
    broken_plan_date = EXCLUDED.broken_plan_date,
    follow_up_due_date = EXCLUDED.follow_up_due_date,
    next_follow_up_date = EXCLUDED.next_follow_up_date,
    last_contact_at = EXCLUDED.last_contact_at, do_not_contact = EXCLUDED.do_not_contact,
    risk_class = EXCLUDED.risk_class, refreshed_at = EXCLUDED.refreshed_at
""".replace("@OLDEST_BUCKET@", BUCKET_SQL.format(days="oldest"))

BROKEN_PROMISE_WINDOW_DAYS = 30
SILENCE_CAP_DAYS = 30
# Points for the credit risk class when something is overdue (docs/priority-score.md): high
# weighs as much as a "watch" status, the manager's lightest flag; the class already counts
# broken promises and limit use, which score on their own, so it stays a nudge.
RISK_POINTS = {QueueRiskClass.HIGH: 20, QueueRiskClass.MEDIUM: 5}


def small_balance_limit() -> Decimal:
    """Below this open balance (less disputes, in the reporting currency) an account is a
    write-off candidate and goes to the end of the queue: ``QUEUE_SMALL_BALANCE``, by
    default the small-balance write-off limit (``SMALL_BALANCE_LIMIT``, 25.00)."""
    queue = getattr(settings, "QUEUE_SMALL_BALANCE", None)
    return ledger_small_balance_limit() if queue is None else Decimal(str(queue))


# a credit use beyond this many percent is shown as this (a 0.01 limit beside millions)
CREDIT_USE_CAP_PCT = 1_000_000

logger = logging.getLogger(__name__)


class QueueRefresh(NamedTuple):
    """Rows written, and the customers whose row the database refused (logged)."""

    rows: int
    failed: tuple[int, ...] = ()


def queue_state_refresh(*, customer_ids: Iterable[int] | None = None) -> QueueRefresh:
    """Recompute the stored score of the given customers, or of every customer when None.

    Derived data, not a business record: it is not audited, and running it twice changes
    nothing. One customer whose row cannot be stored never stops the others: the set is
    split until the refused customers are found; they keep their previous row and are
    logged and returned in ``failed``.
    """
    ids = None if customer_ids is None else sorted({int(pk) for pk in customer_ids})
    return _queue_refresh(ids, {})


def queue_risk_classes_set(classes: Mapping[int, str]) -> QueueRefresh:
    """Store the credit risk class of each customer given and re-score those whose class
    changed: the nightly risk score (credit, an app above this one) hands its classes down
    here, so the queue's SQL never reads credit's tables.

    Set-based: one query finds the changed customers, one statement re-scores them all;
    a customer not named keeps its class. Every refresh keeps the stored class.
    """
    known = set(QueueRiskClass.values)
    for customer_id, risk_class in classes.items():
        if risk_class not in known:
            raise ServiceError(
                f"customer {customer_id}: risk class {risk_class!r} is not one of "
                f"{', '.join(repr(k) for k in sorted(known))}",
                field="risk_class",
            )
    ids = sorted(int(pk) for pk in classes)
    if not ids:
        return QueueRefresh(0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT g.customer_id
            FROM unnest(%s::bigint[], %s::varchar[]) AS g(customer_id, risk_class)
            JOIN accounts_customer c ON c.id = g.customer_id
            LEFT JOIN collections_app_queuestate q ON q.customer_id = g.customer_id
            WHERE q.risk_class IS DISTINCT FROM g.risk_class
            ORDER BY g.customer_id
            """,
            [ids, [classes[pk] for pk in ids]],
        )
        changed = [row[0] for row in cursor.fetchall()]
        if not changed:
            return QueueRefresh(0)
        return _queue_refresh(changed, {pk: classes[pk] for pk in changed})


def _queue_refresh(ids: list[int] | None, risk: dict[int, str]) -> QueueRefresh:
    if ids == []:
        return QueueRefresh(0)
    today = timezone.localdate()
    # the one conversion path (accounts/fx.py): direct or inverse rate in force today
    rates = rates_on(today)
    params = {
        "rate_codes": list(rates),
        "dispute_active": [str(status) for status in ACTIVE_STATUSES],
        "rate_values": list(rates.values()),
        "all": ids is None,
        "ids": ids or [],
        "rep": settings.REPORTING_CURRENCY,
        "today": today,
        "now": timezone.now(),
        "tz": timezone.get_current_timezone_name(),
        "broken_window": BROKEN_PROMISE_WINDOW_DAYS,
        "silence_cap": SILENCE_CAP_DAYS,
        "contact_kinds": [kind.value for kind in CONTACT_KINDS],
        "credit_use_cap": CREDIT_USE_CAP_PCT,
        "small_balance": small_balance_limit(),
        "risk_ids": list(risk),
        "risk_classes": list(risk.values()),
        "risk_high": RISK_POINTS[QueueRiskClass.HIGH],
        "risk_medium": RISK_POINTS[QueueRiskClass.MEDIUM],
    }
    try:
        return QueueRefresh(_refresh(params))
    except (DataError, IntegrityError):
        if ids is None:
            ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    rows, failed = _refresh_halves(params, ids)
    logger.error("queue refresh: could not store the row of customers %s", failed)
    return QueueRefresh(rows, tuple(failed))


def _refresh(params: dict) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(QUEUE_REFRESH_SQL, params)
        return cursor.rowcount


def _refresh_split(params: dict, ids: Sequence[int]) -> tuple[int, list[int]]:
    try:
        return _refresh({**params, "all": False, "ids": list(ids)}), []
    except (DataError, IntegrityError):
        return _refresh_halves(params, ids)


def _refresh_halves(params: dict, refused: Sequence[int]) -> tuple[int, list[int]]:
    """Halve a refused set until each refused customer stands alone."""
    if len(refused) == 1:
        return 0, list(refused)
    half = len(refused) // 2
    rows_a, failed_a = _refresh_split(params, refused[:half])
    rows_b, failed_b = _refresh_split(params, refused[half:])
    return rows_a + rows_b, failed_a + failed_b
