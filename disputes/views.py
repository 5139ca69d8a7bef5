"""The disputes pages under ``/disputes/``: the list (filters, one query per page) and a
dispute's page (lines, history, comments, attachments, the moves the table allows). Thin:
reach (``selectors.disputes_for``), permission, parse, service, redirect."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError
from accounts.fx import ReportError, reporting_currency

from . import selectors, services
from .filters import DisputeFilter
from .forms import AssignForm, AttachmentForm, CommentForm, MoveForm, ReportForm, moves_from
from .models import DisputeOutcome, DisputeStatus
from .reports import root_causes

WORK = "disputes.change_dispute"
CREDIT = "disputes.resolve_with_credit"


def navigation_entries(request) -> list[tuple[str, str]]:
    user = request.user
    if user.has_perm(selectors.DISPUTE_VIEW) or user.has_perm(selectors.DISPUTE_ROUTED):
        return [("Disputes", reverse("dispute_list"))]
    return []


def _sees_disputes(user) -> None:
    if not (user.has_perm(selectors.DISPUTE_VIEW) or user.has_perm(selectors.DISPUTE_ROUTED)):
        raise PermissionDenied


@login_required
def dispute_list(request):
    _sees_disputes(request.user)
    filterset = DisputeFilter(
        request.GET or {"status": "active"},
        queryset=selectors.dispute_list(request.user),
        user=request.user,
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "disputes/list.html",
        {"filterset": filterset, "page": page, "query": query.urlencode()},
    )


def _page(request, dispute, *, move_form=None, comment_form=None, attach_form=None, status=200):
    parts = selectors.dispute_page(dispute)
    can_work = request.user.has_perm(WORK)
    context = {
        "dispute": dispute,
        **parts,
        "can_work": can_work,
        "can_credit": request.user.has_perm(CREDIT),
        "moves": moves_from(dispute.status) if can_work else [],
        "move_form": move_form or MoveForm(lines=parts["lines"]),
        "assign_form": AssignForm(
            initial={"department": dispute.department, "assignee": dispute.assignee_id},
            assignees=selectors.assignable_users(),
        ),
        "comment_form": comment_form or CommentForm(),
        "attach_form": attach_form or AttachmentForm(),
        "outcomes": DisputeOutcome.choices,
        "resolved": DisputeStatus.RESOLVED,
        "reopen": DisputeStatus.OPEN,
    }
    return render(request, "disputes/detail.html", context, status=status)


@login_required
def dispute_detail(request, pk: int):
    _sees_disputes(request.user)
    return _page(request, selectors.dispute_for(request.user, pk))


def _working(request, pk: int):
    _sees_disputes(request.user)
    dispute = selectors.dispute_for(request.user, pk)
    if not request.user.has_perm(WORK):
        raise PermissionDenied
    return dispute


def _refused(form, error: ServiceError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
@require_POST
def dispute_move(request, pk: int):
    dispute = _working(request, pk)
    form = MoveForm(request.POST, lines=selectors.dispute_lines(dispute))
    if form.is_valid():
        outcome = (
            form.cleaned_data["outcome"] if form.cleaned_data["to_status"] == "resolved" else ""
        )
        credits = form.credits()
        if outcome in (DisputeOutcome.CREDIT_ISSUED, DisputeOutcome.PARTIAL_CREDIT) and not (
            request.user.has_perm(CREDIT)
        ):
            form.add_error("outcome", "a credit is approved by a collector or credit manager")
        else:
            try:
                services.dispute_move(
                    actor=request.user,
                    dispute=dispute,
                    to_status=form.cleaned_data["to_status"],
                    note=form.cleaned_data["note"],
                    outcome=outcome,
                    credits=credits if outcome else None,
                )
            except ServiceError as error:
                _refused(form, error)
            else:
                messages.success(
                    request,
                    f"Dispute {dispute.pk} is now "
                    f"{DisputeStatus(form.cleaned_data['to_status']).label.lower()}.",
                )
                return redirect("dispute", pk=dispute.pk)
    return _page(request, dispute, move_form=form, status=400)


@login_required
@require_POST
def dispute_assign(request, pk: int):
    dispute = _working(request, pk)
    form = AssignForm(request.POST, assignees=selectors.assignable_users())
    if form.is_valid():
        try:
            services.dispute_assign(
                actor=request.user,
                dispute=dispute,
                assignee=form.cleaned_data["assignee"],
                department=form.cleaned_data["department"],
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Routing saved.")
    else:
        messages.error(request, "Choose a department and, if you like, a person.")
    return redirect("dispute", pk=dispute.pk)


@login_required
@require_POST
def dispute_comment(request, pk: int):
    dispute = _working(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.dispute_comment_add(
                actor=request.user, dispute=dispute, body=form.cleaned_data["body"]
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            return redirect(reverse("dispute", args=[dispute.pk]) + "#comments")
    return _page(request, dispute, comment_form=form, status=400)


@login_required
@require_POST
def dispute_attach(request, pk: int):
    dispute = _working(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.dispute_attachment_add(
                actor=request.user, dispute=dispute, upload=form.cleaned_data["file"]
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            return redirect(reverse("dispute", args=[dispute.pk]) + "#attachments")
    return _page(request, dispute, attach_form=form, status=400)


@login_required
def attachment_download(request, pk: int, attachment_id: int):
    """Served through the storage API, always as a download (never rendered inline)."""
    _sees_disputes(request.user)
    dispute = selectors.dispute_for(request.user, pk)
    attachment = get_object_or_404(dispute.attachments, pk=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("the file is gone") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def dispute_report(request):
    """Root causes over a period (default: the last 90 days), by reason, department or
    customer."""
    _sees_disputes(request.user)
    form = ReportForm(request.GET or None)
    end = timezone.localdate()
    start, by = end - datetime.timedelta(days=89), "reason"
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        by = form.cleaned_data["by"] or by
    rows, error = [], ""
    try:
        rows = root_causes(request.user, start=start, end=end, by=by)
    except ReportError as refusal:
        error = str(refusal)
    return render(
        request,
        "disputes/report.html",
        {
            "form": form,
            "rows": rows,
            "start": start,
            "end": end,
            "by": by,
            "error": error,
            "currency": reporting_currency(),
        },
        status=400 if error or form.errors else 200,
    )
