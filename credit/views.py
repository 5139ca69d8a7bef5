"""Credit pages: the credit manager's inbox and an account's credit page with its decision
forms. Thin: reach, permission, form, service, page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.context_processors import NavCount
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.selectors import customer_for, customers_for

from . import reviews, risk, selectors, services
from .applications import (
    application_pdf,
    credit_application_decide,
    credit_application_submit,
)
from .forms import (
    ApplicationDecisionForm,
    CreditApplicationForm,
    CreditLimitForm,
    CreditReviewForm,
    CreditStatusForm,
    EscalationDecisionForm,
    HoldRuleForm,
    LimitRequestDecisionForm,
)
from .hold_rules import hold_rule_save, rule_hit_acknowledge, rule_hits_of
from .models import (
    ApplicationStatus,
    CreditApplication,
    CreditChange,
    HoldRule,
    HoldRuleHit,
    LimitChangeRequest,
)

CHANGE = "credit.change_credit"
INBOX = "credit.view_credit_inbox"


# --- hooks registered in CreditConfig.ready() ------------------------------------------------


def workspace_context(request, customer, items, bound: dict) -> dict:
    """The credit panel on the account workspace: no query, a link to the credit page."""
    return {"side_panels": ["credit/_workspace_panel.html"]}


def navigation_entries(request) -> list[NavCount]:
    user = request.user
    if not user.has_perm(INBOX):
        return []
    # counted by the navigation, with the other badges, in one query
    return [NavCount("Credit", reverse("credit_inbox"), selectors.inbox_rows(user))]


# --- pages -----------------------------------------------------------------------------------


@login_required
def inbox(request):
    if not request.user.has_perm(INBOX):
        raise PermissionDenied
    items = selectors.inbox_for(request.user)
    # past one page, the count beside the title is the whole inbox's, not the page's
    waiting = len(items) if len(items) < selectors.INBOX_PAGE_SIZE else None
    if waiting is None:
        waiting = selectors.inbox_count(request.user)
    return render(request, "credit/inbox.html", {"items": items, "waiting": waiting})


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
        if pending is None:
            forms["review"] = bound.get("review") or CreditReviewForm(
                prefix="review",
                initial={"limit": customer.credit_limit, "terms": customer.payment_terms_id},
            )
    context = {
        "customer": customer,
        "exposure": selectors.exposure_for(customer),
        "risk": risk.risk_of(customer),
        "rule_hits": rule_hits_of(customer),
        "review_date": reviews.review_due(customer),
        "reviews": reviews.review_history(customer)[:10],
        "today": timezone.localdate(),
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
                f"{format_amount(result.requested_limit, result.currency_id)} is above your credit "
                f"authority: the request was forwarded to {result.assigned_to.get_username()}."
            )
        assert isinstance(result, CreditChange)
        return f"Credit limit is now {format_amount(result.limit_after, result.currency_id)}."

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


@require_POST
@login_required
def review_record(request, pk: int):
    def perform(customer, data):
        review = reviews.credit_review_record(
            actor=request.user,
            customer=customer,
            financials=data["financials"],
            limit=data["limit"].strip().replace(",", ""),
            terms=data["terms"],
            comment=data["comment"],
            next_review_on=data["next_review_on"],
        )
        forwarded = " (the new limit was forwarded for approval)" if review.limit_request else ""
        return f"Review recorded{forwarded}; next review {review.next_review_on.isoformat()}."

    return _act(
        request,
        pk,
        key="review",
        perform=perform,
        form=lambda customer: CreditReviewForm(request.POST, prefix="review"),
    )


# --- hold rules ------------------------------------------------------------------------------


def _rule_initial(rule: HoldRule) -> dict:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "action": rule.action,
        "over_limit_pct": rule.over_limit_pct,
        "days": rule.days,
        "amount": rule.amount,
        "currency": rule.currency_id,
        "lift_when_clear": rule.lift_when_clear,
        "active": rule.active,
    }


@login_required
def hold_rules(request, pk: int | None = None):
    """The rules and a form to add one (or, with ``pk``, to change that one)."""
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    rule = get_object_or_404(HoldRule, pk=pk) if pk is not None else None
    status = 200
    if request.method == "POST":
        form = HoldRuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = hold_rule_save(
                    actor=request.user,
                    rule=rule,
                    name=data["name"],
                    kind=data["kind"],
                    action=data["action"],
                    active=data["active"],
                    lift_when_clear=data["lift_when_clear"],
                    over_limit_pct=data["over_limit_pct"].strip() or None,
                    days=data["days"],
                    amount=data["amount"].strip().replace(",", "") or None,
                    currency=data["currency"].code if data["currency"] else None,
                )
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"Rule “{saved.name}” saved.")
                return redirect("credit_hold_rules")
        status = 400
    else:
        form = HoldRuleForm(initial=_rule_initial(rule) if rule else None)
    context = {
        "rules": HoldRule.objects.annotate(
            open_hits=Count("hits", filter=Q(hits__cleared_at__isnull=True))
        ).order_by("name"),
        "form": form,
        "editing": rule,
    }
    return render(request, "credit/hold_rules.html", context, status=status)


def queue_exposure_column(states: list) -> tuple[str, dict[int, dict]]:
    """The exposure column of the call queue (hook in ``collections_app.queue_views``): the
    page's accounts in one exposure statement, whatever the page size."""
    exposures = selectors.exposures_for([state.customer for state in states])
    cells = {}
    for customer_id, exposure in exposures.items():
        note = "no limit" if exposure.used_pct is None else f"{exposure.used_pct}% of limit"
        if exposure.is_group:
            note += f", {exposure.accounts} accounts"
        if exposure.missing_rates:
            note += f"; no rate for {', '.join(exposure.missing_rates)}"
        cells[customer_id] = {
            "amount": exposure.total,
            "currency": exposure.currency,
            "note": note,
        }
    return "Exposure", cells


# --- credit applications ------------------------------------------------------------------------


def _applications_page(request, form, status: int = 200):
    context = {
        "form": form,
        "applications": CreditApplication.objects.select_related(
            "assigned_to", "requested_terms", "currency", "customer"
        ).order_by("-submitted_at", "-id")[:100],
    }
    return render(request, "credit/applications.html", context, status=status)


@login_required
def applications(request):
    """The applications, newest first, and the form for a new one."""
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    if request.method != "POST":
        return _applications_page(request, CreditApplicationForm())
    form = CreditApplicationForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            created = credit_application_submit(
                actor=request.user,
                currency=data.pop("currency").code,
                requested_limit=data.pop("requested_limit").strip().replace(",", ""),
                requested_terms=data.pop("requested_terms"),
                **data,
            )
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                f"Application of {created.company_name} sent to "
                f"{created.assigned_to.get_username()} for a decision.",
            )
            return redirect("credit_application", pk=created.pk)
    return _applications_page(request, form, status=400)


@login_required
def application_page(request, pk: int):
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    application = get_object_or_404(
        CreditApplication.objects.select_related(
            "submitted_by", "assigned_to", "decided_by", "requested_terms", "approved_terms"
        ),
        pk=pk,
    )
    form = None
    status = 200
    can_decide = (
        application.status == ApplicationStatus.PENDING
        and application.submitted_by_id != request.user.pk
    )
    if can_decide:
        form = ApplicationDecisionForm(
            request.POST or None,
            initial={
                "limit": application.requested_limit,
                "terms": application.requested_terms_id,
            },
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                credit_application_decide(
                    actor=request.user,
                    application=application,
                    approve=data["decision"] == "approve",
                    comment=data["comment"],
                    limit=data["limit"].strip().replace(",", "") or None,
                    terms=data["terms"],
                )
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, "Decision recorded.")
                return redirect("credit_application", pk=application.pk)
        if request.method == "POST":
            status = 400
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "credit/application.html",
        {"application": application, "form": form},
        status=status,
    )


@login_required
def application_pdf_view(request, pk: int):
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    application = get_object_or_404(
        CreditApplication.objects.select_related(
            "decided_by", "requested_terms", "approved_terms", "customer"
        ),
        pk=pk,
    )
    response = HttpResponse(application_pdf(application), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="credit-application-{pk}.pdf"'
    return response


@require_POST
@login_required
def rule_hit_noted(request, pk: int):
    """Note an "only notify" hit from the account's credit page or the inbox: reach first
    (another portfolio's hit is a 404), then the permission."""
    hit = get_object_or_404(
        HoldRuleHit.objects.filter(customer__in=customers_for(request.user).values("pk")), pk=pk
    )
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    try:
        rule_hit_acknowledge(actor=request.user, hit=hit)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Notice of “{hit.rule.name}” noted.")
    if request.POST.get("from") == "inbox":
        return redirect("credit_inbox")
    return redirect("credit_customer", pk=hit.customer_id)
