"""The credit manager's team view: each collector's load and results, and reassignment."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError
from accounts.roles import TEAM_VIEW

from . import services
from .forms import ReassignForm
from .selectors import collectors, reason_lines, reassignable_accounts, team_rows


def _chosen_collector(request) -> int | None:
    value = request.GET.get("collector") or request.POST.get("from_collector") or ""
    return int(value) if value.isdigit() else None


@login_required
@permission_required(TEAM_VIEW, raise_exception=True)
def team(request, form: ReassignForm | None = None):
    chosen = _chosen_collector(request)
    accounts = Paginator(reassignable_accounts(request.user, collector_id=chosen), 50).get_page(
        request.GET.get("page")
    )
    for customer in accounts:
        state = getattr(customer, "queue_state", None)
        customer.reasons = reason_lines(state) if state else []
    return render(
        request,
        "collections_app/team.html",
        {
            "rows": team_rows(request.user),
            "chosen": chosen,
            "accounts": accounts,
            "form": form or ReassignForm(collectors=collectors()),
            "may_reassign": request.user.has_perm("collections_app.reassign_customers"),
            "reporting_currency": settings.REPORTING_CURRENCY,
        },
    )


@login_required
@permission_required(TEAM_VIEW, raise_exception=True)
@permission_required("collections_app.reassign_customers", raise_exception=True)
@require_POST
def reassign(request):
    form = ReassignForm(request.POST, collectors=collectors())
    if form.is_valid():
        try:
            moved = services.customers_reassign(
                actor=request.user,
                customer_ids=form.cleaned_data["customers"],
                to_collector=form.cleaned_data["to_collector"],
            )
        except ServiceError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                f"{moved} account{'s' if moved != 1 else ''} moved to "
                f"{form.cleaned_data['to_collector'].get_username()}.",
            )
            chosen = _chosen_collector(request)
            return redirect(reverse("team") + (f"?collector={chosen}" if chosen else ""))
    return team(request, form=form)
