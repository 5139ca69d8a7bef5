"""The account workspace's "Orders" panel: the account's open orders with their status and
held reasons. Registered in ``OrdersConfig.ready()`` through
``collections_app.workspace_extensions``, so the workflow does not import orders."""

from __future__ import annotations

from .models import OPEN_STATUSES, Order

PANEL_LIMIT = 10  # the next orders to ship; the rest are counted


def workspace_context(request, customer, items, bound: dict) -> dict:
    """Only for users who may view orders; nothing (and no query) for the others."""
    if not request.user.has_perm("orders.view_order"):
        return {}
    orders = list(
        Order.objects.filter(customer=customer, status__in=OPEN_STATUSES).order_by(
            "requested_ship_date", "-amount", "pk"
        )[: PANEL_LIMIT + 1]
    )
    return {
        "side_panels": ["orders/_workspace_panel.html"],
        "open_orders": orders[:PANEL_LIMIT],
        "open_orders_more": len(orders) > PANEL_LIMIT,
    }
