"""Dunning pages: the runs, one run's preview, live progress and retry queue, its PDFs, and
the policies with their levels.

A run covers every portfolio, so these pages are for users who may view runs *and* have the
team view; everyone else gets a 403. Writes go through ``services``; a refusal comes back as
a message (buttons) or next to its field (the level form).
"""

from __future__ import annotations

import datetime
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import ServiceError
from accounts.roles import TEAM_VIEW

from . import selectors, services
from .forms import DunningLevelForm
from .models import CommunicationStatus, DunningChannel, DunningRunStatus
from .preview import compensation_setting

RUNS_PAGE_SIZE = 25
# A run of the demo book was 7,300 px tall at 50 a page with every invoice spelled out:
# past FOLD_ABOVE communications (or skips) the invoices and the skips are folded under a
# one-line summary, and the pages are shorter.
PREVIEW_PAGE_SIZE = 20
SKIPS_PAGE_SIZE = 25
FOLD_ABOVE = 10
RETRY_QUEUE_SIZE = 50
POLL_SECONDS = 1.5
PRINT_FILE_WAIT = datetime.timedelta(minutes=10)

VIEW_RUNS = "dunning.view_dunningrun"


def dunning_page(*perms: str):
    """Logged in, allowed to view runs with the team view, and holding ``perms``; else 403."""

    def wrap(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.has_perms([VIEW_RUNS, TEAM_VIEW, *perms]):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(checked)

    return wrap


def _file_response(field, filename: str, content_type: str = "application/pdf") -> FileResponse:
    if not field:
        raise Http404("no document")
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404("the document file is gone") from None
    return FileResponse(handle, content_type=content_type, filename=filename)


# --- runs -------------------------------------------------------------------------------


@dunning_page()
def runs(request):
    page = Paginator(selectors.dunning_runs(), RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dunning/runs.html", {"page": page})


@dunning_page("dunning.add_dunningrun")
@require_POST
def run_start(request):
    try:
        run = services.dunning_run_start(actor=request.user)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
        return redirect("dunning_runs")
    messages.success(request, f"Run {run.pk} built: check the preview, then approve it.")
    return redirect("dunning_run", pk=run.pk)


def _run_context(request, run) -> dict:
    filters = selectors.PreviewFilters.from_query(request.GET)
    communications = Paginator(
        selectors.run_communications(run, filters), PREVIEW_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    communications.object_list = selectors.with_lines(communications.object_list)
    skips = Paginator(selectors.run_skips(run, filters), SKIPS_PAGE_SIZE).get_page(
        request.GET.get("skips")
    )
    query = filters.as_query()
    return {
        "run": run,
        "catch_up": selectors.catch_up_policies() if run.status == DunningRunStatus.PREVIEW else [],
        "filters": filters,
        "query": urlencode(query),
        "filtered": bool(query),
        "levels": selectors.run_levels(run),
        "channels": DunningChannel.choices,
        "reasons": selectors.run_skip_reasons(run),
        "communications": communications,
        "skips": skips,
        "fold_lines": communications.paginator.count > FOLD_ABOVE,
        # a skip filter or page asked for means the reader is looking at them: unfolded
        "fold_skips": skips.paginator.count > FOLD_ABOVE
        and not filters.reason
        and skips.number == 1,
        **_live_context(run),
    }


def _print_pending(run) -> bool:
    """A run just done whose letters a worker is still combining into the print file."""
    if run.status != DunningRunStatus.DONE or run.print_file or not run.finished_at:
        return False
    if timezone.now() - run.finished_at > PRINT_FILE_WAIT:
        return False  # the build failed or had nothing to print: stop asking
    return run.communications.filter(
        channel=DunningChannel.LETTER, status=CommunicationStatus.SENT
    ).exists()


def _live_context(run) -> dict:
    progress = selectors.run_progress(run)
    failed = progress.counts.get(CommunicationStatus.FAILED, 0)
    print_pending = _print_pending(run)
    return {
        "run": run,
        "progress": progress,
        "print_pending": print_pending,
        "polling": run.status == DunningRunStatus.SENDING or print_pending,
        "poll_seconds": POLL_SECONDS,
        "retry_queue": list(selectors.retry_queue(run)[:RETRY_QUEUE_SIZE]) if failed else [],
        "failed_count": failed,
        "skipped": run.skips.count(),
        "stalled": selectors.run_stalled(run),
        "stalled_minutes": settings.DUNNING_STALLED_MINUTES,
    }


@dunning_page()
def run_detail(request, pk: int):
    run = selectors.run_get(pk)
    return render(request, "dunning/run_detail.html", _run_context(request, run))


@dunning_page()
def run_progress(request, pk: int):
    """The live part of a run's page, polled by htmx while the run sends. When a poll finds
    the run finished, the whole page reloads once: statuses, PDFs and the print file."""
    context = _live_context(selectors.run_get(pk))
    response = render(request, "dunning/_run_live.html", context)
    if request.GET.get("polling") and not context["polling"]:
        response["HX-Refresh"] = "true"
    return response


def _run_action(request, pk: int, perform) -> HttpResponse:
    run = selectors.run_get(pk)
    try:
        done = perform(run)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done)
    return redirect("dunning_run", pk=pk)


@dunning_page("dunning.approve_dunningrun")
@require_http_methods(["GET", "POST"])
def run_approve(request, pk: int):
    """A confirmation page first: what goes out, by level and channel, and how much it dunns.
    Approving needs its box ticked, so a stray click or a replayed form sends nothing."""
    run = selectors.run_get(pk)
    if run.status == DunningRunStatus.PREVIEW and not (
        request.method == "POST" and request.POST.get("confirm") == "yes"
    ):
        status = 400 if request.method == "POST" else 200
        return render(
            request,
            "dunning/run_approve.html",
            {
                "run": run,
                "summary": selectors.approval_summary(run),
                "catch_up": selectors.catch_up_policies(),
                "unconfirmed": request.method == "POST",
            },
            status=status,
        )
    if request.method != "POST":
        return redirect("dunning_run", pk=pk)

    def perform(run):
        approved = services.dunning_run_approve(actor=request.user, run=run)
        approved.refresh_from_db(fields=["status"])
        if approved.status != DunningRunStatus.DONE:
            return "Run approved: sending."
        failed = approved.communications.filter(status=CommunicationStatus.FAILED).count()
        if failed:
            return f"Run approved and sent; {failed} failed and wait in the retry queue."
        return "Run approved and sent."

    return _run_action(request, pk, perform)


@dunning_page("dunning.approve_dunningrun")
@require_POST
def run_cancel(request, pk: int):
    def perform(run):
        services.dunning_run_cancel(actor=request.user, run=run)
        return "Run cancelled: nothing was sent."

    return _run_action(request, pk, perform)


@dunning_page("dunning.approve_dunningrun")
@require_POST
def run_resume(request, pk: int):
    def perform(run):
        queued = services.dunning_run_resume(actor=request.user, run=run)
        return f"Sending resumed: {queued} communication{'s' if queued != 1 else ''} queued."

    return _run_action(request, pk, perform)


@dunning_page()
def run_print(request, pk: int):
    run = selectors.run_get(pk)
    if run.print_file.name.endswith(".zip"):  # a large run prints in parts (printing.py)
        return _file_response(
            run.print_file, f"dunning-run-{run.pk}-letters.zip", content_type="application/zip"
        )
    return _file_response(run.print_file, f"dunning-run-{run.pk}-letters.pdf")


@dunning_page("dunning.approve_dunningrun")
@require_POST
def communication_retry(request, pk: int):
    comm = selectors.communication_get(pk)
    try:
        services.dunning_communication_retry(actor=request.user, communication=comm)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"{comm.customer.name}: queued again.")
    if request.htmx:
        run = selectors.run_get(comm.run_id)
        return render(request, "dunning/_run_live.html", _live_context(run))
    return redirect("dunning_run", pk=comm.run_id)


@dunning_page()
def communication_document(request, pk: int):
    comm = selectors.communication_get(pk)
    name = comm.document.name.rpartition("/")[2] if comm.document else ""
    return _file_response(comm.document, name)


# --- policies --------------------------------------------------------------------------


def _policies_context(form: DunningLevelForm | None = None) -> dict:
    return {
        "policies": selectors.policies_with_levels(),
        "templates": dict(selectors.template_codes()),
        "currency": settings.REPORTING_CURRENCY,
        "compensation": compensation_setting(),
        "form": form,
        "editing": form.level.pk if form else None,
    }


@dunning_page()
def policies(request):
    return render(request, "dunning/policies.html", _policies_context())


@dunning_page("dunning.change_dunninglevel")
def level_edit(request, pk: int):
    level = selectors.level_get(pk)
    codes = selectors.template_codes()
    if request.method != "POST":
        form = DunningLevelForm(level=level, template_codes=codes)
        return render(request, "dunning/policies.html", _policies_context(form))
    form = DunningLevelForm(request.POST, level=level, template_codes=codes)
    if form.is_valid():
        try:
            services.dunning_level_update(actor=request.user, level=level, **form.cleaned_data)
        except ServiceError as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(request, f"{level.policy.name}: level {level.number} saved.")
            return redirect(f"{reverse('dunning_policies')}#level-{level.pk}")
    return render(request, "dunning/policies.html", _policies_context(form), status=400)
