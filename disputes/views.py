"""The disputes pages under ``/disputes/``: the list (filters, one query per page) and a
dispute's page (lines, history, comments, attachments, the moves the table allows). Thin:
reach (``selectors.disputes_for``), permission, parse, service, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError

from . import selectors, services
from .filters import DisputeFilter
from .forms import (
    AssignForm,
    AttachmentForm,
    BulkAssignForm,
    CommentForm,
    DecisionForm,
    MoveForm,
    ProposalForm,
    moves_from,
)
from .models import DisputeOutcome, DisputeStatus
from .report_xlsx import report_workbook
from .reports import report_figures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

WORK = "disputes.change_dispute"


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
    can_work = request.user.has_perm(WORK)
    bulk = BulkAssignForm(assignees=selectors.assignable_users()) if can_work else None
    return render(
        request,
        "disputes/list.html",
        {
            "filterset": filterset,
            "page": page,
            "query": query.urlencode(),
            "bulk_form": bulk,
            "back": request.get_full_path(),
        },
    )


@login_required
@require_POST
def dispute_bulk_assign(request):
    """Assign the ticked disputes (within reach) to a department and/or a person."""
    _sees_disputes(request.user)
    if not request.user.has_perm(WORK):
        raise PermissionDenied
    users = selectors.assignable_users()
    reach = selectors.disputes_for(request.user)
    form = BulkAssignForm(
        request.POST,
        ids=reach.filter(pk__in=_ints(request.POST.getlist("ids"))).values_list("pk", flat=True),
        assignees=users,
    )
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        messages.error(request, "Tick the disputes to assign (those you can reach).")
        return redirect(back or "dispute_list")
    chosen = form.cleaned_data["assignee"]
    assignee = (
        services.KEEP if chosen == "" else None if chosen == "none" else users.get(pk=int(chosen))
    )
    try:
        done = services.dispute_bulk_assign(
            actor=request.user,
            disputes=list(reach.filter(pk__in=form.cleaned_data["ids"])),
            department=form.cleaned_data["department"] or None,
            assignee=assignee,
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{len(done)} dispute{'s' if len(done) != 1 else ''} assigned.")
    return redirect(back or "dispute_list")


def _ints(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _page(
    request,
    dispute,
    *,
    move_form=None,
    comment_form=None,
    attach_form=None,
    proposal_form=None,
    status=200,
):
    parts = selectors.dispute_page(dispute)
    can_work = request.user.has_perm(WORK)
    can_credit = request.user.has_perm(services.CREDIT_PERMISSION)
    context = {
        "dispute": dispute,
        **parts,
        "can_work": can_work,
        "can_credit": can_credit,
        "can_propose": can_work and not can_credit and dispute.is_active,
        "proposal_form": proposal_form or ProposalForm(lines=parts["lines"]),
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
def dispute_propose(request, pk: int):
    """A resolver proposes a resolution with credit; a collector or credit manager
    approves it."""
    dispute = _working(request, pk)
    form = ProposalForm(request.POST, lines=selectors.dispute_lines(dispute))
    if form.is_valid():
        try:
            services.dispute_credit_propose(
                actor=request.user,
                dispute=dispute,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                credits=form.credits(),
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            messages.success(request, "Credit proposed; waiting for approval.")
            return redirect("dispute", pk=dispute.pk)
    return _page(request, dispute, proposal_form=form, status=400)


@login_required
@require_POST
def proposal_decide(request, pk: int, proposal_id: int):
    """Approve (resolve with the proposed credit) or reject a pending proposal."""
    dispute = _working(request, pk)
    if not request.user.has_perm(services.CREDIT_PERMISSION):
        raise PermissionDenied
    proposal = get_object_or_404(dispute.proposals, pk=proposal_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Approve or reject the proposal.")
        return redirect("dispute", pk=dispute.pk)
    try:
        if form.cleaned_data["decision"] == "approve":
            done = services.dispute_proposal_approve(actor=request.user, proposal=proposal)
            messages.success(
                request, f"Approved: credit memo {done.credit_memo.number} issued and applied."
            )
        else:
            services.dispute_proposal_reject(
                actor=request.user, proposal=proposal, note=form.cleaned_data["note"]
            )
            messages.success(request, "Proposal rejected.")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("dispute", pk=dispute.pk)


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


def _chart_data(figures: dict) -> dict:
    return {
        "pareto": {
            "labels": [row.label for row in figures["rows"]],
            "amounts": [float(row.amount) for row in figures["rows"]],
            "cumulative": [float(row.cumulative_pct) for row in figures["rows"]],
        },
        "share": {
            "labels": [point.day.isoformat() for point in figures["share"]],
            "share": [float(point.share_pct) for point in figures["share"]],
        },
        "currency": figures["currency"],
    }


@login_required
def dispute_report(request):
    """Root causes over a period (default: the last 90 days), by reason, department or
    customer, as a Pareto chart and table; open disputes by age; the share of AR in dispute
    over time. ``?format=xlsx`` downloads the same figures as a workbook."""
    _sees_disputes(request.user)
    figures = report_figures(request.user, request.GET.copy())
    failed = bool(figures["error"] or figures["form"].errors)
    if request.GET.get("format") == "xlsx" and not failed:
        content = report_workbook(
            start=figures["start"],
            end=figures["end"],
            by=figures["by"],
            currency=figures["currency"],
            causes=figures["rows"],
            open_rows=figures["open_rows"],
            share=figures["share"],
        )
        response = HttpResponse(content, content_type=XLSX)
        name = f"disputes-{figures['start']:%Y%m%d}-{figures['end']:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query["format"] = "xlsx"
    return render(
        request,
        "disputes/report.html",
        {**figures, "chart_data": _chart_data(figures), "xlsx_query": query.urlencode()},
        status=400 if failed else 200,
    )
