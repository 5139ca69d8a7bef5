"""Refunds and contras on the cash pages: post one (or ask for approval above the limit),
approve or reject one, reverse one paid out by mistake or returned by the bank. Thin: reach,
permission, parse, ``cash.services``, page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.roles import CASH_APPROVE_REFUND, CASH_WORK
from invoices.selectors import invoices_for

from . import selectors, services
from .forms import RefundDecisionForm, RefundForm, RefundReverseForm
from .models import RefundRequest
from .views import _apply_url, _approvals, _decide, _field_error, _next, _require


@login_required
def refund(request, pk: int, target: str):
    """Refund (or contra) a payment's or credit memo's unapplied money; contra an open
    invoice against what we owe the customer. Above the limit it waits for approval."""
    _require(request, CASH_WORK)
    user = request.user
    if target == "payment":
        obj = selectors.payment_for(user, pk)
        back, label, balance = _apply_url(obj), f"payment {obj.reference}", obj.unapplied_amount
    elif target == "credit_memo":
        obj = selectors.credit_memo_for(user, pk)
        back, label, balance = _apply_url(obj), f"credit memo {obj.number}", obj.unapplied_amount
    else:
        obj = get_object_or_404(invoices_for(user), pk=pk)
        back, label, balance = reverse("cash_unapplied"), f"invoice {obj.number}", obj.open_amount
    contra_only = target == "invoice"
    status = 200
    if request.method == "POST":
        form = RefundForm(request.POST, contra_only=contra_only)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.refund_request(
                    actor=user,
                    target=obj,
                    kind=data["kind"],
                    amount=data["amount"],
                    reference=data["reference"],
                    reason=data["reason"],
                )
            except ServiceError as error:
                _field_error(form, error)
            else:
                what = "contra" if data["kind"] == "contra" else "refund"
                if isinstance(result, RefundRequest):
                    check = services.refund_limit_check(data["amount"], obj.currency_id)
                    messages.success(
                        request,
                        f"{capfirst(check.words)}: the {what} of {label} waits for a second "
                        "person's approval.",
                    )
                else:
                    amount = format_amount(data["amount"], obj.currency_id)
                    messages.success(request, f"Posted a {what} of {amount} from {label}.")
                return redirect(_next(request.POST.get("next")) if target == "invoice" else back)
        status = 400
    else:
        form = RefundForm(
            initial={"amount": balance, "kind": "contra" if contra_only else "refund"},
            contra_only=contra_only,
        )
    return render(
        request,
        "cash/refund.html",
        {
            "form": form,
            "label": label,
            "customer": obj.customer,
            "balance": balance,
            "currency": obj.currency_id,
            "balance_name": "Open" if contra_only else "Unapplied",
            "action": request.path,
            "back": back,
            "next": request.GET.get("next", ""),
        },
        status=status,
    )


@require_POST
@login_required
def refund_reverse(request, pk: int):
    """Reverse a refund or contra (returned by the bank, or paid out by mistake): the money
    is unapplied on its payment or credit memo again."""
    _require(request, CASH_WORK)
    refund = selectors.refund_for(request.user, pk)
    back = _apply_url(refund.source)
    form = RefundReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the refund is reversed.")
        return redirect(back)
    try:
        services.refund_reverse(
            actor=request.user,
            refund=refund,
            reason=form.cleaned_data["reason"],
            reference=form.cleaned_data["reference"],
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Reversed the {refund.get_kind_display().lower()} of "
            f"{format_amount(refund.amount, refund.currency_id)} ({refund.reference}): "
            "the money is unapplied again.",
        )
    return redirect(back)


@login_required
def refunds(request):
    return _approvals(
        request,
        selectors.refund_requests_for(request.user),
        approve=CASH_APPROVE_REFUND,
        template="cash/refunds.html",
        form=RefundDecisionForm,
    )


@require_POST
@login_required
def refund_decide(request, pk: int):
    return _decide(
        request,
        get_object_or_404(selectors.refund_requests_for(request.user), pk=pk),
        approve=CASH_APPROVE_REFUND,
        form=RefundDecisionForm,
        decide=services.refund_decide,
        back="cash_refunds",
        label=lambda pending: pending.target_label,
        said=lambda decided: (
            f"{decided.kind.capitalize()} of "
            f"{format_amount(decided.amount, decided.currency_id)} from "
            f"{decided.target_label}: {decided.get_status_display().lower()}."
        ),
    )
