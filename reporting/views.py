"""Report pages: aging (summary and detail), exports with progress, the CFO dashboard."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.buckets import BUCKET_LABELS, BUCKETS
from accounts.fx import ReportError
from accounts.models import Currency
from accounts.selectors import sees_all_portfolios

from .aging import aging, detail_page
from .dashboard import (
    cash_progress,
    cash_target,
    default_period,
    kpi_tiles,
    top_overdue_on,
    trend,
)
from .exports import export_path
from .exports.describe import describe, names_for
from .forms import AgingForm, KpiForm
from .models import ExportFormat, ExportKind
from .selectors import (
    AgingFilters,
    aging_query_for,
    collector_table,
    customers_in_reach,
    export_downloads_for,
    export_history_for,
    export_jobs_for,
)
from .services import export_job_create
from .workflow import dispute_cycle, open_disputes_by_reason, promise_kept

PAGE_SIZE = 50


def _collectors(user):
    if not sees_all_portfolios(user):
        return []
    return get_user_model().objects.filter(portfolio__isnull=False).distinct().order_by("username")


@login_required
@permission_required("invoices.view_invoice", raise_exception=True)
def aging_page(request):
    form = AgingForm(request.GET)
    view = "detail" if request.GET.get("view") == "detail" else "summary"
    context = {
        "form": form,
        "view": view,
        "buckets": [(b, BUCKET_LABELS[b]) for b in BUCKETS],
        "collectors": _collectors(request.user),
        "currencies": Currency.objects.all(),
        "formats": ExportFormat.choices,
        "reporting_currency": settings.REPORTING_CURRENCY,
        "query": _query_without_page(request),
        "error": None,
        "today": timezone.localdate(),
        "keep_days": settings.REPORTING_EXPORT_KEEP_DAYS,
        "exports": (
            export_history_for(request.user)
            if request.user.has_perm("reporting.view_exportjob")
            else []
        ),
    }
    if not form.is_valid():
        # The page again with the refusal beside the filters, so the date can be corrected.
        context["filters"] = AgingFilters(as_of=timezone.localdate())
        context["as_of_typed"] = request.GET.get("as_of", "")
        context["refusals"] = _refusals(form)
        return render(request, "reporting/aging.html", context, status=400)
    filters = form.filters()
    query = aging_query_for(request.user, filters)
    context["filters"] = filters
    try:
        report = aging(query, grouping=filters.grouping)
        context["report"] = report
        if view == "summary":
            context["page"] = Paginator(report.rows, PAGE_SIZE).get_page(request.GET.get("page"))
        else:
            number = _page_number(request)
            count, rows = detail_page(query, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
            context["detail"] = rows
            context["detail_count"] = count
            context["detail_page"] = {
                "number": number,
                "has_previous": number > 1,
                "has_next": number * PAGE_SIZE < count,
                "pages": max(1, -(-count // PAGE_SIZE)),
            }
    except ReportError as error:
        context["error"] = str(error)
    return render(request, "reporting/aging.html", context)


def _refusals(form) -> list[str]:
    labels = {"as_of": "As of"}
    return [
        f"{labels.get(name, name)}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
        for name, errors in form.errors.items()
    ]


def _invalid_parameters(form) -> HttpResponseBadRequest:
    """A 400 naming each parameter that was refused and why, as plain text."""
    lines = [
        f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
        for name, errors in form.errors.items()
    ]
    return HttpResponseBadRequest(
        "invalid report parameters\n" + "\n".join(lines), content_type="text/plain"
    )


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@permission_required("reporting.add_exportjob", raise_exception=True)
@require_POST
def export_create(request):
    form = AgingForm(request.POST)
    kind, fmt = request.POST.get("kind"), request.POST.get("format")
    if kind not in ExportKind.values or fmt not in ExportFormat.values:
        return HttpResponseBadRequest("invalid export: choose a report and a format")
    if not form.is_valid():
        return HttpResponseBadRequest(
            "invalid export\n" + "\n".join(_refusals(form)), content_type="text/plain"
        )
    job = export_job_create(user=request.user, kind=kind, format=fmt, filters=form.filters())
    if request.htmx:
        return render(request, "reporting/_export_job.html", {"job": _described(request, job)})
    return redirect("export_status", pk=job.pk)


def _described(request, job):
    job.description = describe(job.parameters, *names_for(request.user, [job.parameters]))
    return job


@login_required
@permission_required("reporting.view_exportjob", raise_exception=True)
def export_status(request, pk: int):
    job = get_object_or_404(export_jobs_for(request.user), pk=pk)
    template = "reporting/_export_job.html" if request.htmx else "reporting/export.html"
    return render(request, template, {"job": _described(request, job)})


@login_required
@permission_required("reporting.view_exportjob", raise_exception=True)
def export_download(request, pk: int):
    job = get_object_or_404(export_downloads_for(request.user), pk=pk)
    path = export_path(job)
    if not path.is_file():
        raise Http404("the export file is gone")
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name)


@login_required
@permission_required("invoices.view_invoice", raise_exception=True)
def dashboard(request):
    """The company dashboard for the team view; a collector sees only their own row of the
    per-collector table, never the company's figures."""
    form = KpiForm(request.GET or None)
    if not request.GET:
        start, end = default_period()
    elif form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        return _invalid_parameters(form)
    team = sees_all_portfolios(request.user)
    context = {
        "start": start,
        "end": end,
        "currency": settings.REPORTING_CURRENCY,
        "team_view": team,
    }
    if not team:
        context["collectors"] = collector_table(request.user, start, end)
        return render(request, "reporting/dashboard.html", context)
    customers = customers_in_reach(request.user)
    try:
        context.update(kpi_tiles(customers, start, end))
        context["top_overdue_date"], context["top_overdue"] = top_overdue_on(customers, end)
        context["promises"], context["promises_by_collector"] = promise_kept(customers, start, end)
        context["collectors"] = collector_table(
            request.user, start, end, promises=context["promises_by_collector"]
        )
        context["dispute_cycle"] = dispute_cycle(customers, start, end)
        context["disputes_by_reason"] = open_disputes_by_reason(customers)
        context["cash_target"] = cash_target(start, end)
        context["cash_progress"] = cash_progress(
            context["inputs"].cash_collected, context["cash_target"]
        )
    except ReportError as error:
        context["error"] = str(error)
    context["chart_data"] = trend(end)
    return render(request, "reporting/dashboard.html", context)
