"""The release queue (``/credit/releases/``) and an order's page with its decisions.
Thin: reach, permission, form, service, page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError

from . import order_selectors, order_services
from .order_filters import ReleaseQueueFilter
from .order_forms import BulkDecisionForm, OrderDecisionForm, OrderForwardForm, OrderRejectForm

VIEW = "orders.view_order"
RELEASE = "orders.release_order"


def release_navigation_entries(request) -> list[tuple[str, str]]:
    """No query: held orders are counted in the credit inbox's "Credit (n)"."""
    if not request.user.has_perm(RELEASE):
        return []
    return [("Releases", reverse("credit_releases"))]


@login_required
def releases(request):
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    filters = ReleaseQueueFilter(
        request.GET or None,
        queryset=order_selectors.held_orders_for(request.user),
        request=request,
    )
    rows = order_selectors.release_queue(request.user, orders=filters.qs)
    return render(
        request,
        "credit/releases.html",
        {
            "rows": rows,
            "filters": filters,
            "filtered": any(v for k, v in request.GET.items() if k != "sort"),
            "can_release": request.user.has_perm(RELEASE),
            "page_size": order_selectors.QUEUE_PAGE_SIZE,
        },
    )


@require_POST
@login_required
def releases_bulk(request):
    if not request.user.has_perm(RELEASE):
        raise PermissionDenied
    held = order_selectors.held_orders_for(request.user)
    form = BulkDecisionForm(request.POST, order_ids=list(held.values_list("pk", flat=True)))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("credit_releases")
    data = form.cleaned_data
    done, refused = [], []
    for order in held.filter(pk__in=data["orders"]).select_related("customer"):
        try:
            if data["action"] == "release":
                order_services.order_release(
                    actor=request.user,
                    order=order,
                    comment=data["comment"],
                    confirm_over_limit=data["confirm_over_limit"],
                )
            else:
                order_services.order_reject(
                    actor=request.user, order=order, comment=data["comment"]
                )
        except ServiceError as error:
            refused.append(f"{order.external_ref}: {error.message}")
        else:
            done.append(order.external_ref)
    verb = "Released" if data["action"] == "release" else "Rejected"
    if done:
        messages.success(request, f"{verb}: {', '.join(done)}.")
    for line in refused:
        messages.error(request, line)
    return redirect("credit_releases")


@login_required
def order_page(request, pk: int):
    order = order_selectors.order_for(request.user, pk)
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    return _page(request, order)


def _page(request, order, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    forms = {}
    if request.user.has_perm(RELEASE) and order.status == "held":
        forms = {
            "release": bound.get("release") or OrderDecisionForm(prefix="release"),
            "reject": bound.get("reject") or OrderRejectForm(prefix="reject"),
            "forward": bound.get("forward")
            or OrderForwardForm(prefix="forward", user=request.user),
        }
    authority = order_selectors.Authority.of(request.user, day=timezone.localdate())
    context = {
        "order": order,
        "figures": order_selectors.figures_now([order])[order.pk],
        "history": order_selectors.order_history(order),
        "forms": forms,
        "covered": authority.covers(order.amount, order.currency_id),
    }
    return render(request, "credit/order.html", context, status=status)


def _act(request, pk: int, *, form, key: str, perform):
    order = order_selectors.order_for(request.user, pk)
    if not request.user.has_perm(RELEASE):
        raise PermissionDenied
    bound_form = form()
    if bound_form.is_valid():
        try:
            message = perform(order, bound_form.cleaned_data)
        except ServiceError as error:
            field = error.field if error.field in bound_form.fields else None
            bound_form.add_error(field, error.message)
        else:
            messages.success(request, message)
            return redirect("credit_releases")
    order = order_selectors.order_for(request.user, pk)
    return _page(request, order, bound={key: bound_form}, status=400)


@require_POST
@login_required
def order_release(request, pk: int):
    def perform(order, data):
        decision = order_services.order_release(
            actor=request.user,
            order=order,
            comment=data["comment"],
            confirm_over_limit=data["confirm_over_limit"],
        )
        extra = " over the limit" if decision.over_limit_confirmed else ""
        return f"Order {order.external_ref} released{extra}."

    return _act(
        request,
        pk,
        key="release",
        perform=perform,
        form=lambda: OrderDecisionForm(request.POST, prefix="release"),
    )


@require_POST
@login_required
def order_reject(request, pk: int):
    def perform(order, data):
        order_services.order_reject(actor=request.user, order=order, comment=data["comment"])
        return f"Order {order.external_ref} rejected."

    return _act(
        request,
        pk,
        key="reject",
        perform=perform,
        form=lambda: OrderRejectForm(request.POST, prefix="reject"),
    )


@require_POST
@login_required
def order_forward(request, pk: int):
    def perform(order, data):
        order_services.order_forward(
            actor=request.user, order=order, to=data["to"], comment=data["comment"]
        )
        return f"Order {order.external_ref} forwarded to {data['to'].get_username()}."

    return _act(
        request,
        pk,
        key="forward",
        perform=perform,
        form=lambda: OrderForwardForm(request.POST, prefix="forward", user=request.user),
    )


@require_POST
@login_required
def order_recheck(request, pk: int):
    order = order_selectors.order_for(request.user, pk)
    if not request.user.has_perm(RELEASE):
        raise PermissionDenied
    try:
        decision = order_services.order_recheck(actor=request.user, order=order)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("credit_order", pk=order.pk)
    if decision.status_after == "released":
        messages.success(request, f"Order {order.external_ref}: the rules pass now; released.")
        return redirect("credit_releases")
    messages.info(request, f"Order {order.external_ref} is still held: reasons updated.")
    return redirect("credit_order", pk=order.pk)
