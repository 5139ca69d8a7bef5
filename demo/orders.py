"""Sales orders in the demo: release authorities for the demo logins, and a few orders from
"the ERP", some released at once and some held, so the release queue, the credit inbox and
the account workspace have something to show after ``make run`` (docs/orders.md).

Every order goes through ``credit.order_services.order_receive``, as the API's would.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from accounts.models import Customer
from credit import services as credit_services
from credit.exposure import exposures_for
from credit.models import CreditAuthority
from credit.order_services import order_receive
from orders.models import Order

# username → release authority in USD (collector, credit manager, CFO/admin in practice)
AUTHORITIES = {
    "credit_manager": Decimal("100000.00"),
    "admin": Decimal("10000000.00"),
}
COLLECTOR_AUTHORITY = Decimal("5000.00")
HELD = 5  # orders that pass the account's limit
RELEASED = 4  # small orders on accounts in good standing


def demo_orders_write(
    *, users: dict, collectors: list, customers: list[Customer], today: datetime.date
) -> list[Order]:
    """Authorities for the demo users who have none, then the orders, deterministic (the
    first accounts by id with a limit); once the demo has its orders, nothing new."""
    for name, amount in AUTHORITIES.items():
        _authority(users[name], amount)
    for collector in collectors:
        _authority(collector, COLLECTOR_AUTHORITY)
    if Order.objects.filter(external_ref__startswith="SO-DEMO-").exists():
        return []
    candidates = sorted(
        (c for c in customers if c.credit_limit > 0 and c.parent_id is None),
        key=lambda c: c.pk,
    )
    exposures = exposures_for(candidates, day=today)
    orders = []
    over, small = candidates[:HELD], candidates[HELD : HELD + RELEASED * 3]
    for index, customer in enumerate(over, start=1):
        room = customer.credit_limit - exposures[customer.pk].total
        amount = max(room, Decimal("0.00")) + Decimal("2500.00") * index
        orders.append(_send(users["finance"], customer, amount, f"SO-DEMO-H{index}", today, index))
    released = 0
    for index, customer in enumerate(small, start=1):
        if released == RELEASED:
            break
        order = _send(
            users["finance"], customer, Decimal("450.00"), f"SO-DEMO-R{index}", today, index
        )
        orders.append(order)
        released += order.status == "released"
    return orders


def _authority(user, amount: Decimal) -> None:
    if not CreditAuthority.objects.filter(user=user).exists():
        credit_services.credit_authority_set(actor=None, user=user, amount=amount, currency="USD")


def _send(actor, customer: Customer, amount: Decimal, ref: str, today, index: int) -> Order:
    places = customer.currency.decimal_places
    amount = amount.quantize(Decimal(1).scaleb(-places))
    order, _ = order_receive(
        actor=actor,
        external_ref=ref,
        customer=customer,
        amount=str(amount),
        currency=customer.currency_id,
        requested_ship_date=today + datetime.timedelta(days=2 + index),
        lines=[{"sku": f"DEMO-{index:02d}", "qty": 10 * index}],
    )
    order.refresh_from_db()
    return order
