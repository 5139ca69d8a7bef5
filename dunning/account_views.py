"""Dunning on the account workspace: the policy and language, stops on the account or one
invoice, and the level of each open item. The workspace knows nothing of dunning; this
module adds to it through ``collections_app.workspace_extensions``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.errors import ServiceError
from collections_app.selectors import workspace_customer
from collections_app.workspace_views import (
    open_work_action,
    workspace_url,
)
from collections_app.workspace_views import (
    workspace_page_context as workspace_context_for,
)
from invoices.models import Invoice

from . import services
from .forms import DunningPolicyForm, DunningStopForm
from .levels import stop_active
from .models import DunningPolicy, InvoiceDunning
from .selectors import AccountDunning, account_dunning


def workspace_context(request, customer, items, bound: dict) -> dict:
    """The dunning column of the open items and the dunning panel (three queries and one
    for the page's invoice states)."""
    today = timezone.localdate()
    states = InvoiceDunning.objects.in_bulk([item.pk for item in items])
    for item in items:
        state = states.get(item.pk)
        item.dunning_level = state.level_number if state else 0
        item.dunning_stop = state if state and stop_active(state.stop_until, today) else None
    dunning = account_dunning(customer)
    return {
        "item_headers": ["Dunning"],
        "item_cells": ["dunning/_invoice_cell.html"],
        "side_panels": ["dunning/_account_panel.html"],
        "dunning": dunning,
        "dunning_stop": _active_stop(dunning.profile, today),
        "dunning_forms": _dunning_forms(dunning, bound),
    }


def _active_stop(profile, today):
    return profile if profile and stop_active(profile.stop_until, today) else None


def _dunning_forms(dunning: AccountDunning, bound: dict | None) -> dict:
    bound = bound or {}
    profile = dunning.profile
    policy_form = bound.get("dunning_policy") or DunningPolicyForm(
        policies=dunning.policies,
        languages=dunning.languages,
        prefix="dunning",
        initial={
            "policy": profile.policy_id if profile else None,
            "language": profile.language if profile else "en",
        },
    )
    stop_form = bound.get("dunning_stop") or DunningStopForm(prefix="stop")
    return {"policy": policy_form, "stop": stop_form}


def _dunning_act(request, pk: int, *, permission: str, perform, form_name: str = "", form=None):
    """Reach first (another portfolio's account is a 404 whatever the role), then the
    permission; a refusal lands next to its field, or as a message for a one-button form."""
    customer = workspace_customer(request.user, pk)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    bound = None
    if form is not None and not form.is_valid():
        bound = {form_name: form}
    else:
        try:
            done = perform(customer, form.cleaned_data if form is not None else None)
        except ServiceError as refusal:
            if form is not None and refusal.field in form.fields:
                form.add_error(refusal.field, refusal.message)
                bound = {form_name: form}
            else:
                messages.error(request, refusal.message)
        else:
            messages.success(request, done)
    if bound is None and not request.htmx:
        return redirect(workspace_url(request, pk))
    customer = workspace_customer(request.user, pk)
    template = (
        "collections_app/_workspace_body.html" if request.htmx else "collections_app/workspace.html"
    )
    return render(request, template, workspace_context_for(request, customer, bound=bound))


@open_work_action
def dunning_policy(request, pk: int):
    customer = workspace_customer(request.user, pk)
    dunning = account_dunning(customer)
    form = DunningPolicyForm(
        request.POST, policies=dunning.policies, languages=dunning.languages, prefix="dunning"
    )

    def perform(customer, data):
        policy = DunningPolicy.objects.filter(pk=data["policy"]).first() if data["policy"] else None
        profile = services.dunning_policy_assign(
            actor=request.user, customer=customer, policy=policy, language=data["language"]
        )
        name = policy.name if policy else "the default policy"
        return f"Dunning: {name}, letters in {profile.language}."

    return _dunning_act(
        request,
        pk,
        permission="accounts.change_customer",
        perform=perform,
        form_name="dunning_policy",
        form=form,
    )


@open_work_action
def dunning_stop(request, pk: int):
    def perform(customer, data):
        profile = services.dunning_stop_customer(
            actor=request.user, customer=customer, reason=data["reason"], until=data["until"]
        )
        return f"Dunning stopped until {profile.stop_until:%Y-%m-%d}."

    return _dunning_act(
        request,
        pk,
        permission="dunning.change_dunningprofile",
        perform=perform,
        form_name="dunning_stop",
        form=DunningStopForm(request.POST, prefix="stop"),
    )


@open_work_action
def dunning_stop_lift(request, pk: int):
    def perform(customer, data):
        services.dunning_stop_lift(actor=request.user, customer=customer)
        return "Dunning stop lifted."

    return _dunning_act(request, pk, permission="dunning.change_dunningprofile", perform=perform)


@open_work_action
def invoice_dunning_stop(request, pk: int, invoice_id: int):
    form = DunningStopForm(request.POST, prefix=f"invoice-stop-{invoice_id}")

    def perform(customer, data):
        invoice = get_object_or_404(Invoice, pk=invoice_id, customer=customer)
        if not form.is_valid():  # one small form per row: its refusal is a message
            raise ServiceError(f"{invoice.number}: enter a reason and a valid end date")
        reason, until = form.cleaned_data["reason"], form.cleaned_data["until"]
        try:
            services.dunning_stop_invoice(
                actor=request.user, invoice=invoice, reason=reason, until=until
            )
        except ServiceError as refusal:
            raise ServiceError(f"{invoice.number}: {refusal.message}") from None
        return f"Dunning of {invoice.number} stopped until {until:%Y-%m-%d}."

    return _dunning_act(request, pk, permission="dunning.change_dunningprofile", perform=perform)


@open_work_action
def invoice_dunning_stop_lift(request, pk: int, invoice_id: int):
    def perform(customer, data):
        invoice = get_object_or_404(Invoice, pk=invoice_id, customer=customer)
        services.dunning_stop_lift(actor=request.user, customer=customer, invoice=invoice)
        return f"Dunning stop on {invoice.number} lifted."

    return _dunning_act(request, pk, permission="dunning.change_dunningprofile", perform=perform)
