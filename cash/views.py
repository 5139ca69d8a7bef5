"""Finance's cash pages under ``/cash/``: post, apply, reverse, void, credit memos,
write-offs and the unapplied list. Thin: reach, permission, parse, ledger service, page.
Bank files and CSV imports have their own module (``import_views``), refunds and contras
theirs (``refund_views``)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from accounts.context_processors import NavCount
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.money import to_positive_money
from accounts.roles import CASH_APPROVE_REFUND, CASH_APPROVE_WRITE_OFF, CASH_VIEW, CASH_WORK
from accounts.selectors import customers_for
from invoices import services as ledger
from invoices.models import CreditMemo, Payment, PaymentStatus
from invoices.selectors import applications_for, invoices_for

from . import selectors, services
from .filters import UnappliedFilter
from .forms import (
    CreditMemoIssueForm,
    PaymentPostForm,
    ReverseForm,
    VoidForm,
    WriteOffDecisionForm,
    WriteOffForm,
)
from .models import WriteOffRequest


def navigation_entries(request) -> list[tuple[str, str] | NavCount]:
    """Counts are left to the navigation, which runs every badge's in one query: an approver
    of refunds sees how many wait beside "Cash"."""
    user = request.user
    if user.has_perm(CASH_VIEW):
        if user.has_perm(CASH_APPROVE_REFUND):
            return [NavCount("Cash", reverse("cash_index"), selectors.pending_refunds(user))]
        return [("Cash", reverse("cash_index"))]
    if user.has_perm(CASH_APPROVE_WRITE_OFF):
        return [
            NavCount("Write-offs", reverse("cash_write_offs"), selectors.pending_write_offs(user))
        ]
    return []


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _field_error(form, error: ServiceError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def index(request):
    _require(request, CASH_VIEW)
    return redirect("cash_unapplied")


@login_required
def unapplied(request):
    _require(request, CASH_VIEW)
    user = request.user
    payment_filter = UnappliedFilter(
        request.GET, queryset=selectors.unapplied_payments(user), date_field="received_date"
    )
    memo_filter = UnappliedFilter(
        request.GET, queryset=selectors.unapplied_credit_memos(user), date_field="issue_date"
    )
    page = Paginator(payment_filter.qs, 50).get_page(request.GET.get("page"))
    memos = list(memo_filter.qs[:100])
    today = timezone.localdate()
    for payment in page:
        payment.age = (today - payment.received_date).days
        payment.top_suggestions = list(payment.suggestions.all())[:3]
    for memo in memos:
        memo.age = (today - memo.issue_date).days
    unidentified = list(selectors.unidentified_credits()[:100]) if user.has_perm(CASH_WORK) else []
    for credit in unidentified:
        credit.age = (today - credit.booking_date).days
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cash/unapplied.html",
        {
            "filterset": payment_filter,
            "page": page,
            "memos": memos,
            "unidentified": unidentified,
            "query": query.urlencode(),
            "can_work": user.has_perm(CASH_WORK),
        },
    )


@login_required
def payment_new(request):
    _require(request, CASH_WORK)
    customers = customers_for(request.user)
    if request.method == "POST":
        form = PaymentPostForm(request.POST, customers=customers)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = ledger.payment_post(
                    actor=request.user,
                    customer=data["customer"],
                    reference=data["reference"],
                    received_date=data["received_date"],
                    amount=data["amount"],
                    currency=data["currency"],
                    method=data["method"],
                )
            except ServiceError as error:
                _field_error(form, error)
            else:
                messages.success(
                    request,
                    f"Payment {payment.reference} posted: apply it, or leave it on account.",
                )
                return redirect("cash_payment_apply", pk=payment.pk)
        return render(request, "cash/payment_new.html", {"form": form}, status=400)
    initial = {}
    if request.GET.get("customer"):
        initial["customer"] = request.GET["customer"]
    form = PaymentPostForm(customers=customers, initial=initial)
    return render(request, "cash/payment_new.html", {"form": form})


@login_required
def credit_memo_new(request):
    _require(request, CASH_WORK)
    customers = customers_for(request.user)
    if request.method == "POST":
        form = CreditMemoIssueForm(request.POST, customers=customers)
        if form.is_valid():
            data = form.cleaned_data
            try:
                memo = ledger.credit_memo_issue(
                    actor=request.user,
                    customer=data["customer"],
                    number=data["number"],
                    issue_date=data["issue_date"],
                    amount=data["amount"],
                    currency=data["currency"],
                    reason=data["reason"],
                )
            except ServiceError as error:
                _field_error(form, error)
            else:
                messages.success(request, f"Credit memo {memo.number} issued: apply it.")
                return redirect("cash_credit_memo_apply", pk=memo.pk)
        return render(request, "cash/credit_memo_new.html", {"form": form}, status=400)
    form = CreditMemoIssueForm(customers=customers)
    return render(request, "cash/credit_memo_new.html", {"form": form})


@login_required
def payment_apply(request, pk: int):
    _require(request, CASH_VIEW)
    payment = selectors.payment_for(request.user, pk)
    return _apply(request, payment)


@login_required
def credit_memo_apply(request, pk: int):
    _require(request, CASH_VIEW)
    memo = selectors.credit_memo_for(request.user, pk)
    return _apply(request, memo)


def _apply(request, source: Payment | CreditMemo, *, void_form=None):
    """The apply page: open invoices with checkboxes, oldest first by default; a POST applies
    the checked rows through the ledger service, all or nothing."""
    invoices = selectors.open_invoices_for(request.user, source)
    errors: dict[int | None, str] = {}
    entered: dict[int, str] | None = None
    status = 400 if void_form is not None else 200
    if request.method == "POST" and void_form is None:
        _require(request, CASH_WORK)
        entered, allocations, errors = _allocations_from(request.POST, invoices)
        if not errors:
            try:
                applied = _apply_with(request.user, source, allocations)
            except ServiceError as error:
                errors[_invoice_of(error, allocations)] = error.message
            else:
                total = sum((a.amount for a in applied), Decimal("0"))
                messages.success(
                    request,
                    f"Applied {format_amount(total, source.currency_id)} to "
                    f"{len(applied)} invoice{'s' if len(applied) != 1 else ''}.",
                )
                return redirect(_apply_url(source))
        status = 400
    plan = selectors.oldest_first(invoices, source.unapplied_amount)
    today = timezone.localdate()
    rows = []
    for invoice in invoices:
        if entered is None:
            checked, amount = invoice.pk in plan, plan.get(invoice.pk, invoice.open_amount)
        else:
            checked, amount = invoice.pk in entered, entered.get(invoice.pk, invoice.open_amount)
        rows.append(
            {
                "invoice": invoice,
                "checked": checked,
                "amount": amount,
                "error": errors.get(invoice.pk),
                "days_past_due": (today - invoice.due_date).days,
            }
        )
    # what the browser script shows too, so the page is right before (or without) it runs
    remainder = source.unapplied_amount
    if entered is None:
        remainder -= sum((r["amount"] for r in rows if r["checked"]), Decimal("0"))
    is_payment = isinstance(source, Payment)
    refunds = selectors.refund_history(source)
    suggestions = (
        list(source.suggestions.select_related("invoice").filter(invoice__open_amount__gt=0))
        if is_payment
        else []
    )
    # a split over every suggestion, when they fit the money (the named or combined invoices)
    split_total = sum((s.amount for s in suggestions), Decimal("0"))
    if len(suggestions) < 2 or split_total > source.unapplied_amount:
        split_total = None
    context = {
        "source": source,
        "is_payment": is_payment,
        "is_void": is_payment and source.status == PaymentStatus.VOID,
        "rows": rows,
        "remainder": remainder,
        "form_error": errors.get(None),
        "applications": selectors.ledger_history(source),
        "refunds": refunds,
        "live_refund_ids": {r.pk for r in refunds if _live(r)},
        "live_ids": set(selectors.live_applications(source).values_list("pk", flat=True)),
        "suggestions": suggestions,
        "split_total": split_total,
        "returned": getattr(source, "returned", None) if is_payment else None,
        "unidentified": selectors.unidentified_mark(source) if is_payment else None,
        "can_work": request.user.has_perm(CASH_WORK),
        "reverse_form": ReverseForm(),
        "void_form": void_form or VoidForm(),
        "apply_url": _apply_url(source),
    }
    return render(request, "cash/apply.html", context, status=status)


def _live(refund) -> bool:
    """A refund or contra that stands: not a reversal, and not reversed."""
    return not refund.is_reversal and not hasattr(refund, "reversed_by")


def _apply_url(source) -> str:
    if isinstance(source, Payment):
        return reverse("cash_payment_apply", args=[source.pk])
    return reverse("cash_credit_memo_apply", args=[source.pk])


def _apply_with(actor, source, allocations):
    if isinstance(source, Payment):
        return ledger.payment_apply(actor=actor, payment=source, allocations=allocations)
    return ledger.credit_memo_apply(actor=actor, credit_memo=source, allocations=allocations)


def _allocations_from(post, invoices):
    """The checked rows and their amounts; every bad amount is reported beside its row."""
    by_id = {invoice.pk: invoice for invoice in invoices}
    entered: dict[int, str] = {}
    allocations = []
    errors: dict[int | None, str] = {}
    for raw in post.getlist("invoice"):
        if not raw.isdigit() or int(raw) not in by_id:
            errors[None] = f"invoice {raw!r} is not one this money may settle"
            continue
        invoice = by_id[int(raw)]
        text = (post.get(f"amount-{invoice.pk}") or "").strip().replace(",", "")
        entered[invoice.pk] = text
        try:
            amount = to_positive_money(text, field=f"amount-{invoice.pk}")
        except ServiceError as error:
            errors[invoice.pk] = f"{invoice.number}: {error.message}"
            continue
        allocations.append(ledger.Allocation(invoice_id=invoice.pk, amount=amount))
    if not entered and not errors:
        errors[None] = "tick at least one invoice, or leave the money on account"
    return entered, allocations, errors


def _invoice_of(error: ServiceError, allocations) -> int | None:
    """``allocations[2]`` in a refusal names the third checked row."""
    field = error.field or ""
    if field.startswith("allocations[") and "]" in field:
        index = int(field[len("allocations[") : field.index("]")])
        if index < len(allocations):
            return allocations[index].invoice_id
    return None


@require_POST
@login_required
def application_reverse(request, pk: int):
    _require(request, CASH_WORK)
    application = get_object_or_404(applications_for(request.user), pk=pk)
    source = application.payment or application.credit_memo
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the application is reversed.")
        return redirect(_apply_url(source))
    try:
        ledger.application_reverse(
            actor=request.user, application=application, note=form.cleaned_data["note"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Reversed {format_amount(application.amount, application.currency_id)} "
            f"from invoice {application.invoice.number}.",
        )
    return redirect(_apply_url(source))


@require_POST
@login_required
def payment_void(request, pk: int):
    _require(request, CASH_WORK)
    payment = selectors.payment_for(request.user, pk)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            ledger.payment_void(
                actor=request.user,
                payment=payment,
                return_date=form.cleaned_data["return_date"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            _field_error(form, error)
        else:
            messages.success(
                request,
                f"Payment {payment.reference} is void: its applications were reversed "
                f"and the return is recorded.",
            )
            return redirect("cash_payment_apply", pk=payment.pk)
    return _apply(request, payment, void_form=form)


@require_POST
@login_required
def payment_short(request, pk: int):
    """Apply all of a payment to one invoice and open a deduction for what it is short."""
    _require(request, CASH_WORK)
    payment = selectors.payment_for(request.user, pk)
    invoice = get_object_or_404(
        selectors.open_invoices_qs(request.user, payment), pk=request.POST.get("invoice") or 0
    )
    try:
        paid, dispute = services.payment_apply_short(
            actor=request.user, payment=payment, invoice=invoice
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Applied {format_amount(paid, payment.currency_id)} to {invoice.number} and opened "
            f"deduction #{dispute.pk} for the rest.",
        )
    return redirect("cash_payment_apply", pk=payment.pk)


@require_POST
@login_required
def payment_unidentified(request, pk: int):
    """Flag the payment as unidentified with a note; it stays on account."""
    _require(request, CASH_WORK)
    payment = selectors.payment_for(request.user, pk)
    try:
        services.payment_mark_unidentified(
            actor=request.user, payment=payment, note=request.POST.get("note", "")
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Payment {payment.reference} is marked unidentified.")
    return redirect("cash_payment_apply", pk=payment.pk)


@login_required
def write_off(request, pk: int):
    _require(request, CASH_WORK)
    invoice = get_object_or_404(invoices_for(request.user), pk=pk)
    status = 200
    if request.method == "POST":
        form = WriteOffForm(request.POST)
        if form.is_valid():
            try:
                result = services.write_off_request(
                    actor=request.user,
                    invoice=invoice,
                    kind=form.cleaned_data["kind"],
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                )
            except ServiceError as error:
                _field_error(form, error)
            else:
                amount = format_amount(form.cleaned_data["amount"], invoice.currency_id)
                if isinstance(result, WriteOffRequest):
                    check = services.write_off_limit_check(
                        form.cleaned_data["amount"], invoice.currency_id
                    )
                    messages.success(
                        request,
                        f"{capfirst(check.words)}: the write-off on {invoice.number} waits for a "
                        "credit manager's approval.",
                    )
                else:
                    messages.success(request, f"Wrote off {amount} on invoice {invoice.number}.")
                return redirect(_next(request.POST.get("next")))
        status = 400
    else:
        form = WriteOffForm(initial={"amount": invoice.open_amount, "kind": "small_balance"})
    return render(
        request,
        "cash/write_off.html",
        {"invoice": invoice, "form": form, "next": request.GET.get("next", "")},
        status=status,
    )


def _next(url: str | None) -> str:
    """Back to the cash page the write-off was opened from; nowhere else."""
    if url and url.startswith("/cash/") and "//" not in url:
        return url
    return reverse("cash_unapplied")


def _approvals(request, requests, *, approve: str, template: str, form):
    """A list of requests waiting for a second person (write-offs, refunds) and the last
    50 decided; who may decide sees the decision form."""
    user = request.user
    if not (user.has_perm(CASH_VIEW) or user.has_perm(approve)):
        raise PermissionDenied
    return render(
        request,
        template,
        {
            "pending": list(requests.filter(status="pending")),
            "decided": list(requests.exclude(status="pending").order_by("-decided_at")[:50]),
            "can_decide": user.has_perm(approve),
            "form": form(),
        },
    )


def _decide(request, pending, *, approve: str, form, decide, back: str, label, said):
    """Approve or reject one request through its service (``decide``); a refusal is said
    with the request's ``label``, a decision with ``said(decided)``."""
    _require(request, approve)
    bound = form(request.POST)
    if not bound.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect(back)
    try:
        decided = decide(
            actor=request.user,
            request=pending,
            approve=bound.cleaned_data["decision"] == "approve",
            comment=bound.cleaned_data["comment"],
        )
    except ServiceError as error:
        messages.error(request, f"{label(pending)}: {error.message}")
    else:
        messages.success(request, said(decided))
    return redirect(back)


@login_required
def write_offs(request):
    return _approvals(
        request,
        selectors.write_off_requests_for(request.user),
        approve=CASH_APPROVE_WRITE_OFF,
        template="cash/write_offs.html",
        form=WriteOffDecisionForm,
    )


@require_POST
@login_required
def write_off_decide(request, pk: int):
    return _decide(
        request,
        get_object_or_404(selectors.write_off_requests_for(request.user), pk=pk),
        approve=CASH_APPROVE_WRITE_OFF,
        form=WriteOffDecisionForm,
        decide=services.write_off_decide,
        back="cash_write_offs",
        label=lambda pending: pending.invoice.number,
        said=lambda decided: (
            f"Write-off of {format_amount(decided.amount, decided.currency_id)} on "
            f"{decided.invoice.number}: {decided.get_status_display().lower()}."
        ),
    )
