"""Credit pages: the credit manager's inbox and an account's credit page with its decision
forms. Thin: reach, permission, form, service, page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError
from accounts.selectors import customer_for

from . import selectors, services
from .forms import (
    CreditLimitForm,
    CreditStatusForm,
    EscalationDecisionForm,
    LimitRequestDecisionForm,
)
from .models import CreditChange, LimitChangeRequest

CHANGE = "credit.change_credit"
INBOX = "credit.view_credit_inbox"


# --- hooks registered in CreditConfig.ready() ------------------------------------------------


def workspace_context(request, customer, items, bound: dict) -> dict:
    """The credit panel on the account workspace: no query, a link to the credit page."""
    return {"side_panels": ["credit/_workspace_panel.html"]}


def navigation_entries(request) -> list[tuple[str, str]]:
    user = request.user
    if not user.has_perm(INBOX):
        return []
    count = selectors.inbox_count(user)
    return [(f"Credit ({count})" if count else "Credit", reverse("credit_inbox"))]


# --- pages -----------------------------------------------------------------------------------


@login_required
def inbox(request):
    if not request.user.has_perm(INBOX):
        raise PermissionDenied
    return render(request, "credit/inbox.html", {"items": selectors.inbox_for(request.user)})


@login_required
def customer_credit(request, pk: int):
    customer = customer_for(request.user, pk)
    return _page(request, customer)


def _page(request, customer, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    escalation = selectors.open_escalation(customer)
    pending = selectors.pending_limit_request(customer)
    can_change = request.user.has_perm(CHANGE)
    forms = {}
    if can_change:
        forms = {
            "status": bound.get("status")
            or CreditStatusForm(prefix="status", initial={"status": customer.credit_status}),
            "limit": bound.get("limit")
            or CreditLimitForm(prefix="limit", initial={"limit": customer.credit_limit}),
        }
        if escalation is not None:
            forms["escalation"] = bound.get("escalation") or EscalationDecisionForm(
                prefix="decision", current=customer.credit_status
            )
        if pending is not None and pending.requested_by_id != request.user.pk:
            forms["request"] = bound.get("request") or LimitRequestDecisionForm(prefix="request")
    context = {
        "customer": customer,
        "exposure": selectors.exposure_for(customer),
        "history": selectors.credit_history(customer)[:50],
        "escalation": escalation,
        "pending": pending,
        "forms": forms,
        "can_change": can_change,
        "came_from": request.GET.get("from") or request.POST.get("from") or "",
    }
    return render(request, "credit/customer.html", context, status=status)


def _act(request, pk: int, *, form, key: str, perform):
    """Reach first (another portfolio's account is a 404 whatever the role), then the
    permission; a refusal is shown beside its field."""
    customer = customer_for(request.user, pk)
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    bound_form = form(customer)
    if bound_form.is_valid():
        try:
            message = perform(customer, bound_form.cleaned_data)
        except ServiceError as error:
            field = error.field if error.field in bound_form.fields else None
            bound_form.add_error(field, error.message)
        else:
            messages.success(request, message)
            if request.POST.get("from") == "inbox":
                return redirect("credit_inbox")
            return redirect("credit_customer", pk=customer.pk)
    return _page(request, customer, bound={key: bound_form}, status=400)


@require_POST
@login_required
def status_set(request, pk: int):
    def perform(customer, data):
        services.credit_status_set(
            actor=request.user,
            customer=customer,
            status=data["status"],
            reason=data["reason"],
            comment=data["comment"],
            until=data["until"],
        )
        return f"Credit status is now {customer.get_credit_status_display().lower()}."

    return _act(
        request,
        pk,
        key="status",
        perform=perform,
        form=lambda customer: CreditStatusForm(request.POST, prefix="status"),
    )


@require_POST
@login_required
def limit_set(request, pk: int):
    def perform(customer, data):
        result = services.credit_limit_set(
            actor=request.user,
            customer=customer,
            limit=data["limit"].strip().replace(",", ""),
            reason=data["reason"],
            comment=data["comment"],
        )
        if isinstance(result, LimitChangeRequest):
            return (
                f"{result.requested_limit:,.2f} {result.currency_id} is above your credit "
                f"authority: the request was forwarded to {result.assigned_to.get_username()}."
            )
        assert isinstance(result, CreditChange)
        return f"Credit limit is now {result.limit_after:,.2f} {result.currency_id}."

    return _act(
        request,
        pk,
        key="limit",
        perform=perform,
        form=lambda customer: CreditLimitForm(request.POST, prefix="limit"),
    )


@require_POST
@login_required
def escalation_decide(request, pk: int):
    def perform(customer, data):
        escalation = selectors.open_escalation(customer)
        if escalation is None:
            raise ServiceError("this account has no open escalation", field="status")
        services.escalation_decide(
            actor=request.user,
            escalation=escalation,
            status=data["status"],
            reason=data["reason"],
            comment=data["comment"],
            until=data["until"],
        )
        return "Escalation decided and closed."

    return _act(
        request,
        pk,
        key="escalation",
        perform=perform,
        form=lambda customer: EscalationDecisionForm(
            request.POST, prefix="decision", current=customer.credit_status
        ),
    )


@require_POST
@login_required
def limit_request_decide(request, pk: int):
    def perform(customer, data):
        pending = selectors.pending_limit_request(customer)
        if pending is None:
            raise ServiceError("this account has no pending limit request", field="decision")
        approve = data["decision"] == "approve"
        services.limit_request_decide(
            actor=request.user, request=pending, approve=approve, comment=data["comment"]
        )
        return "Limit request approved." if approve else "Limit request rejected."

    return _act(
        request,
        pk,
        key="request",
        perform=perform,
        form=lambda customer: LimitRequestDecisionForm(request.POST, prefix="request"),
    )
