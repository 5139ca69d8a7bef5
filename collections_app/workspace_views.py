"""The account workspace, ``/customers/<id>/``, and its htmx actions.

Each action parses a form, calls one service, and answers with the refreshed workspace
body (htmx) or a redirect (plain POST); refusals come back as field errors.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from accounts.buckets import BUCKET_LABELS, bucket_of
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.models import Contact
from accounts.templatetags.money import money
from disputes.models import Dispute
from invoices.selectors import customer_ledger_summary

from . import services
from .forms import (
    BillingAddressForm,
    CallForm,
    ContactForm,
    DisputeForm,
    EmailForm,
    EscalationForm,
    FollowUpForm,
    PaymentPlanForm,
    PromiseForm,
)
from .models import Escalation, FollowUp, PaymentPlan, Promise
from .queue_views import filters_from
from .selectors import (
    activity_with_document_for,
    collectable_overdue,
    email_deliveries,
    open_item_count,
    open_items,
    people_for_follow_ups,
    reason_lines,
    timeline,
    workspace_customer,
    workspace_side,
)
from .workspace_extensions import extension_context

# The open items come in windows by due date: the page draws the first, "Show more" asks for
# the next (htmx appends its rows). An account with 2,000 open invoices renders 50 rows.
ITEMS_PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 25

FORMS = {
    "call": CallForm,
    "promise": PromiseForm,
    "payment_plan": PaymentPlanForm,
    "follow_up": FollowUpForm,
    "email": EmailForm,
    "dispute": DisputeForm,
    "escalate": EscalationForm,
}

# A call that ends in a promise hands its fields to the promise service, whose refusals
# name the promise's own fields: they belong beside the call form's promise fields.
FIELD_ALIASES = {
    "call": {"amount": "promise_amount", "promised_date": "promise_date"},
}


def _forms(customer, contacts, people, bound: dict | None = None) -> dict:
    out = {}
    for name, form_class in FORMS.items():
        if bound and name in bound:
            out[name] = bound[name]
            continue
        kwargs = {"customer": customer, "contacts": customer.contacts.none(), "prefix": name}
        if form_class is FollowUpForm:
            kwargs["people"] = people_for_follow_ups().none()
        form = form_class(**kwargs)
        # Unbound forms draw their <select>s from lists read once, not a query per form.
        for field_name, rows in (("contact", contacts), ("assigned_to", people)):
            if form_class is EmailForm and field_name == "contact":
                rows = [row for row in rows if not row.do_not_contact]
            field = form.fields.get(field_name)
            if field is not None:
                field.widget.choices = [("", field.empty_label)] + [
                    (row.pk, str(row)) for row in rows
                ]
        out[name] = form
    return out


def _email_status(emails) -> dict:
    return {
        "emails": emails,
        "emails_polling": any(e.state == "queued" for e in emails),
        "emails_query": urlencode({"ids": [e.id for e in emails]}, doseq=True),
    }


def _details_forms(customer, contacts, bound: dict) -> dict:
    """The contact details' forms: one per contact to change it, one to add, the address."""
    for contact in contacts:
        contact.form = bound.get(f"contact_{contact.pk}") or ContactForm.for_contact(contact)
    return {
        "contact_add_form": bound.get("contact_add") or ContactForm(prefix="contact"),
        "address_form": bound.get("billing_address")
        or BillingAddressForm(
            prefix="address", initial={"billing_address": customer.billing_address}
        ),
    }


def _summary(customer, today) -> dict:
    """The ledger's totals, each currency's overdue beside its collectable part (overdue
    and not in dispute, what the queue counts): two figures, two names, everywhere."""
    summary = customer_ledger_summary(customer)
    collectable = collectable_overdue(customer, today=today)
    for row in summary["open"]:
        row["collectable"] = collectable.get(row["currency_id"], 0)
    return summary


class _CountedPaginator(Paginator):
    """A paginator told its count: the account's totals already count the open items (one
    grouped sum per currency), so paging them costs no COUNT query."""

    def __init__(self, object_list, per_page: int, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _items_window(request, customer, *, open_count: int, today):
    """One window of the open items, each row's text made here once: the template only
    places it (rendering, not SQL, was the workspace's time)."""
    paginator = _CountedPaginator(open_items(customer), ITEMS_PAGE_SIZE, count=open_count)
    items = paginator.get_page(request.GET.get("items"))
    invoice_url = reverse("invoice_detail", args=[0])[: -len("0/")]
    for item in items:
        item.days_past_due = max((today - item.due_date).days, 0)
        item.bucket = bucket_of(item.days_past_due)
        item.bucket_label = BUCKET_LABELS[item.bucket]
        item.url = f"{invoice_url}{item.pk}/"
        item.due_text = item.due_date.isoformat()
        item.amount_text = money(item.amount, item.currency_id)
        item.open_text = money(item.open_amount, item.currency_id)
        item.open_value = str(item.open_amount)
    return items


def _queue_query(request) -> tuple[str, str]:
    """Where the collector came from, and the query that keeps the way back into the queue
    (so `n` still works) on every link that stays on the account."""
    came_from = request.GET.get("from") or request.POST.get("from", "")
    filters = filters_from(request)
    queue_query = urlencode({**filters.as_query(), "from": came_from}) if came_from else ""
    return came_from, queue_query


def _items_context(request, customer, items, *, queue_query: str, appended: bool) -> dict:
    user = request.user
    return {
        "items": items,
        "items_selectable": user.has_perm("collections_app.add_promise")
        or user.has_perm("disputes.add_dispute"),
        # rows appended under the first window: the count says how many are shown now
        "items_shown_from": 1 if appended else items.start_index(),
        "items_more": min(ITEMS_PAGE_SIZE, items.paginator.count - items.end_index()),
        "items_more_url": reverse("workspace_items", args=[customer.pk]),
        "queue_query": queue_query,
    }


def workspace_page_context(request, customer, *, bound: dict | None = None) -> dict:
    today = timezone.localdate()
    contacts = list(customer.contacts.all())
    people = list(people_for_follow_ups())
    summary = _summary(customer, today)
    items = _items_window(
        request,
        customer,
        open_count=sum(row["count"] for row in summary["open"]),
        today=today,
    )
    events = Paginator(timeline(customer), TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    came_from, queue_query = _queue_query(request)
    next_url = f"{reverse('queue_next')}?{queue_query}" if came_from else ""
    return {
        "customer": customer,
        "state": customer.queue,
        "reasons": reason_lines(customer.queue, today=today),
        "summary": summary,
        "contacts": contacts,
        **_items_context(request, customer, items, queue_query=queue_query, appended=False),
        "events": events,
        "forms": _forms(customer, contacts, people, bound),
        **_details_forms(customer, contacts, bound or {}),
        **_email_status(email_deliveries(customer)),
        "side": workspace_side(customer),
        "next_url": next_url,
        "came_from": came_from,
        "today": today,
        **extension_context(request, customer, items, bound),
    }


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def workspace(request, pk: int):
    customer = workspace_customer(request.user, pk)
    return render(
        request, "collections_app/workspace.html", workspace_page_context(request, customer)
    )


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def items_page(request, pk: int):
    """The next window of open items, as table rows to append (htmx "Show more"); without
    htmx the link opens the workspace at that window."""
    customer = workspace_customer(request.user, pk)
    if not request.htmx:
        return redirect(f"{reverse('customer_detail', args=[pk])}?{request.GET.urlencode()}")
    items = _items_window(
        request, customer, open_count=open_item_count(customer), today=timezone.localdate()
    )
    came_from, queue_query = _queue_query(request)
    context = {
        "customer": customer,
        "came_from": came_from,
        **_items_context(request, customer, items, queue_query=queue_query, appended=True),
        **extension_context(request, customer, items, None),
    }
    return render(request, "collections_app/_open_items_rows.html", context)


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def timeline_page(request, pk: int):
    customer = workspace_customer(request.user, pk)
    events = Paginator(timeline(customer), TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "collections_app/_timeline.html", {"customer": customer, "events": events}
    )


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def email_status(request, pk: int):
    """The e-mails the workspace is waiting on: queued, then sent or failed (polled)."""
    customer = workspace_customer(request.user, pk)
    ids = [int(v) for v in request.GET.getlist("ids") if v.isdigit()][:20]
    return render(
        request,
        "collections_app/_email_status.html",
        {"customer": customer, **_email_status(email_deliveries(customer, ids=ids))},
    )


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def statement(request, pk: int):
    customer = workspace_customer(request.user, pk)
    response = HttpResponse(services.statement_pdf(customer), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="statement-{customer.external_ref}-{timezone.localdate():%Y%m%d}.pdf"'
    )
    return response


def workspace_url(request, pk: int) -> str:
    came_from = request.POST.get("from", "")
    query = f"?{urlencode({'from': came_from})}" if came_from else ""
    return reverse("customer_detail", args=[pk]) + query


def _act(request, pk: int, name: str, perform, build=None) -> HttpResponse:
    """``build(customer)`` makes the bound form of an action outside ``FORMS``."""
    customer = workspace_customer(request.user, pk)
    if build is not None:
        form = build(customer)
    else:
        form_class = FORMS[name]
        kwargs = {"customer": customer, "prefix": name}
        if form_class is FollowUpForm:
            kwargs["people"] = people_for_follow_ups()
        form = form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            done = perform(customer, form.cleaned_data)
        except ServiceError as refusal:
            field = FIELD_ALIASES.get(name, {}).get(refusal.field, refusal.field)
            form.add_error(field if field in form.fields else None, refusal.message)
        else:
            messages.success(request, done)
            if not request.htmx:
                return redirect(workspace_url(request, pk))
            customer = workspace_customer(request.user, pk)
            return render(
                request,
                "collections_app/_workspace_body.html",
                workspace_page_context(request, customer),
            )
    template = (
        "collections_app/_workspace_body.html"
        if request.htmx
        else ("collections_app/workspace.html")
    )
    return render(request, template, workspace_page_context(request, customer, bound={name: form}))


def _action(permission: str):
    def wrap(view):
        return login_required(
            permission_required("accounts.view_customer", raise_exception=True)(
                permission_required(permission, raise_exception=True)(require_POST(view))
            )
        )

    return wrap


@_action("collections_app.add_activity")
def call_log(request, pk: int):
    def perform(customer, data):
        _, promise = services.call_log(
            actor=request.user,
            customer=customer,
            outcome=data["outcome"],
            note=data["note"],
            contact=data["contact"],
            promise_amount=data["promise_amount"],
            promise_date=data["promise_date"],
            promise_invoice_ids=data["invoices"],
        )
        if promise:
            return (
                "Call logged with a promise of "
                f"{format_amount(promise.amount, promise.currency_id)} "
                f"by {promise.promised_date:%b %d}."
            )
        return "Call logged."

    return _act(request, pk, "call", perform)


@_action("collections_app.add_promise")
def promise_record(request, pk: int):
    def perform(customer, data):
        promise = services.promise_record(
            actor=request.user,
            customer=customer,
            amount=data["amount"],
            promised_date=data["promised_date"],
            invoice_ids=data["invoices"],
            contact=data["contact"],
            note=data["note"],
        )
        return f"Promise of {format_amount(promise.amount, promise.currency_id)} recorded."

    return _act(request, pk, "promise", perform)


@_action("collections_app.add_paymentplan")
def payment_plan_agree(request, pk: int):
    def perform(customer, data):
        plan = services.payment_plan_agree(
            actor=request.user,
            customer=customer,
            installments=data["installments"],
            note=data["note"],
        )
        return f"Payment plan of {format_amount(plan.total_amount, plan.currency_id)} agreed."

    return _act(request, pk, "payment_plan", perform)


@_action("collections_app.add_followup")
def follow_up_schedule(request, pk: int):
    def perform(customer, data):
        follow_up = services.follow_up_schedule(
            actor=request.user,
            customer=customer,
            due_date=data["due_date"],
            assigned_to=data["assigned_to"],
            note=data["note"],
        )
        return f"Follow-up set for {follow_up.due_date:%b %d}."

    return _act(request, pk, "follow_up", perform)


@_action("collections_app.add_activity")
def email_send(request, pk: int):
    def perform(customer, data):
        services.statement_email_send(
            actor=request.user,
            customer=customer,
            contact=data["contact"],
            template=data["template"],
            message=data["message"],
        )
        return (
            f"E-mail to {data['contact'].email} queued: it goes out with the statement in "
            "a moment, and the timeline says when it was sent."
        )

    return _act(request, pk, "email", perform)


@_action("disputes.add_dispute")
def dispute_raise(request, pk: int):
    def perform(customer, data):
        dispute = services.dispute_raise(
            actor=request.user,
            customer=customer,
            invoice_ids=data["invoices"],
            reason_code=data["reason_code"],
            note=data["note"],
            amount=data["amount"],
            amounts=data["amounts"],
        )
        return f"Dispute of {format_amount(dispute.amount, dispute.currency_id)} opened."

    return _act(request, pk, "dispute", perform)


@_action("collections_app.add_escalation")
def escalate(request, pk: int):
    def perform(customer, data):
        escalation = services.escalation_raise(
            actor=request.user, customer=customer, reason=data["reason"]
        )
        who = escalation.assigned_to.get_username() if escalation.assigned_to else "credit"
        return f"Escalated to {who}."

    return _act(request, pk, "escalate", perform)


# --- the account's contact details ------------------------------------------------------


@_action("accounts.add_contact")
def contact_add(request, pk: int):
    def perform(customer, data):
        contact = services.contact_add(actor=request.user, customer=customer, **data)
        return f"Contact {contact.name} added."

    return _act(
        request,
        pk,
        "contact_add",
        perform,
        build=lambda customer: ContactForm(request.POST, prefix="contact"),
    )


@_action("accounts.change_contact")
def contact_update(request, pk: int, contact_id: int):
    contact = None

    def build(customer):
        nonlocal contact
        contact = get_object_or_404(Contact, pk=contact_id, customer=customer)
        return ContactForm.for_contact(contact, request.POST)

    def perform(customer, data):
        changed = services.contact_update(actor=request.user, contact=contact, **data)
        return f"Contact {contact.name} changed." if changed else "Nothing changed."

    return _act(request, pk, f"contact_{contact_id}", perform, build=build)


@_action("accounts.change_contact")
def billing_address_update(request, pk: int):
    def perform(customer, data):
        changed = services.billing_address_update(
            actor=request.user, customer=customer, billing_address=data["billing_address"]
        )
        return "Billing address changed." if changed else "Nothing changed."

    return _act(
        request,
        pk,
        "billing_address",
        perform,
        build=lambda customer: BillingAddressForm(request.POST, prefix="address"),
    )


# --- moving what is open on the account: one button each, the reason typed beside it ------


def _transition(request, pk: int, object_id: int, *, model, permission: str, perform):
    """Reach first (another portfolio's account is a 404 whatever the role), then the
    permission, then the object, which must belong to this account."""
    customer = workspace_customer(request.user, pk)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    target = get_object_or_404(model, pk=object_id, customer=customer)
    try:
        done = perform(target, request.POST)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done)
    if not request.htmx:
        return redirect(workspace_url(request, pk))
    customer = workspace_customer(request.user, pk)
    return render(
        request, "collections_app/_workspace_body.html", workspace_page_context(request, customer)
    )


def open_work_action(view):
    return login_required(
        permission_required("accounts.view_customer", raise_exception=True)(require_POST(view))
    )


@open_work_action
def follow_up_done(request, pk: int, follow_up_id: int):
    def perform(follow_up, data):
        services.follow_up_complete(actor=request.user, follow_up=follow_up)
        return f"Follow-up of {follow_up.due_date:%b %d} done."

    return _transition(
        request,
        pk,
        follow_up_id,
        model=FollowUp,
        permission="collections_app.add_followup",
        perform=perform,
    )


@open_work_action
def promise_cancel(request, pk: int, promise_id: int):
    def perform(promise, data):
        services.promise_cancel(actor=request.user, promise=promise, reason=data.get("reason", ""))
        return f"Promise of {format_amount(promise.amount, promise.currency_id)} cancelled."

    return _transition(
        request,
        pk,
        promise_id,
        model=Promise,
        permission="collections_app.add_promise",
        perform=perform,
    )


@open_work_action
def payment_plan_cancel(request, pk: int, plan_id: int):
    def perform(plan, data):
        services.payment_plan_cancel(actor=request.user, plan=plan, reason=data.get("reason", ""))
        return f"Payment plan of {format_amount(plan.total_amount, plan.currency_id)} cancelled."

    return _transition(
        request,
        pk,
        plan_id,
        model=PaymentPlan,
        permission="collections_app.add_paymentplan",
        perform=perform,
    )


@open_work_action
def escalation_resolve(request, pk: int, escalation_id: int):
    """The escalation was addressed to the credit manager, who decides: the permission to
    change an account's credit is the one that resolves it."""

    def perform(escalation, data):
        services.escalation_resolve(
            actor=request.user, escalation=escalation, resolution=data.get("resolution", "")
        )
        return "Escalation resolved."

    return _transition(
        request,
        pk,
        escalation_id,
        model=Escalation,
        permission="accounts.change_customer",
        perform=perform,
    )


@open_work_action
def dispute_close_action(request, pk: int, dispute_id: int):
    def perform(dispute, data):
        services.dispute_close(
            actor=request.user, dispute=dispute, resolution=data.get("resolution", "")
        )
        return f"Dispute of {format_amount(dispute.amount, dispute.currency_id)} resolved."

    return _transition(
        request,
        pk,
        dispute_id,
        model=Dispute,
        permission="disputes.add_dispute",
        perform=perform,
    )


# --- the PDFs on the timeline ------------------------------------------------------------


@login_required
@permission_required("collections_app.view_activity", raise_exception=True)
def activity_document(request, pk: int):
    """The PDF sent with an activity; another portfolio's is a 404 like a missing one."""
    activity = activity_with_document_for(request.user, pk)
    try:
        handle = activity.document.open("rb")
    except FileNotFoundError:
        raise Http404("the document file is gone") from None
    name = activity.document.name.rpartition("/")[2]
    return FileResponse(handle, content_type="application/pdf", filename=name)
