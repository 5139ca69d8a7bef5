"""Reports for BI: aging and KPIs as JSON, decimal strings, scoped to the caller's reach."""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api_permissions import requires

from .aging import BUCKETS, aging
from .forms import AgingForm, KpiForm
from .fx import ReportError
from .kpis import KPI_NAMES, inputs_live, kpis_from_inputs, rounded
from .selectors import aging_query_for, customers_in_reach
from .workflow import promise_kept


def money(value) -> str:
    return f"{value:.2f}"


def aging_payload(report) -> dict:
    return {
        "as_of": report.as_of.isoformat(),
        "basis": report.basis,
        "currency": report.currency,
        "grouping": report.grouping,
        "buckets": {b: money(report.buckets[b]) for b in BUCKETS},
        "total": money(report.total),
        "rows": [
            {
                "key": row.key,
                "label": row.label,
                "buckets": {b: money(row.buckets[b]) for b in BUCKETS},
                "total": money(row.total),
                "original": {code: money(amount) for code, amount in sorted(row.original.items())},
            }
            for row in report.rows
        ],
    }


def _form_or_400(form):
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data())
    return form


@extend_schema(
    parameters=[
        OpenApiParameter("as_of", str, description="YYYY-MM-DD; default today"),
        OpenApiParameter("basis", str, enum=["due", "invoice"]),
        OpenApiParameter("grouping", str, enum=["customer", "collector", "currency", "parent"]),
        OpenApiParameter("collector", int),
        OpenApiParameter("currency", str),
        OpenApiParameter("customer", int),
        OpenApiParameter("in_dispute", str, enum=["yes", "no"]),
    ],
    responses={200: dict},
)
@api_view(["GET"])
@permission_classes([requires("invoices.view_invoice")])
def aging_report(request):
    """Aging buckets as of a date, in the reporting currency, one row per group."""
    filters = _form_or_400(AgingForm(request.query_params)).filters()
    try:
        report = aging(aging_query_for(request.user, filters), grouping=filters.grouping)
    except ReportError as error:
        raise ValidationError({"as_of": [str(error)]}) from None
    return Response(aging_payload(report))


@extend_schema(
    parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str)],
    responses={200: dict},
)
@api_view(["GET"])
@permission_classes([requires("invoices.view_invoice")])
def kpi_report(request):
    """DSO, countback DSO, best-possible DSO, ADD, CEI, over-90 share and promise-kept rate
    for a period."""
    form = _form_or_400(KpiForm(request.query_params))
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        customers = customers_in_reach(request.user)
        inputs = inputs_live(customers, start, end)
    except ReportError as error:
        raise ValidationError({"end": [str(error)]}) from None
    figures = kpis_from_inputs(inputs)
    promises, promises_by_collector = promise_kept(customers, start, end)
    payload = {"start": start.isoformat(), "end": end.isoformat()}
    for name in KPI_NAMES:
        value = rounded(figures[name])
        payload[name] = None if value is None else str(value)
    payload.update(
        {
            "currency": settings.REPORTING_CURRENCY,
            "days": inputs.days,
            "ar_start": money(inputs.ar_before),
            "ar_end": money(inputs.ar_end),
            "current_ar": money(inputs.current_end),
            "credit_sales": money(inputs.sales),
            "cash_collected": money(inputs.cash_collected),
            **promise_payload(promises),
            "promise_kept_rate_by_collector": [
                {"collector": entry.collector_id, "name": entry.name}
                | promise_payload(entry.figures)
                for entry in promises_by_collector
            ],
        }
    )
    return Response(payload)


def promise_payload(figures) -> dict:
    rate = rounded(figures.rate)
    return {
        "promise_kept_rate": None if rate is None else str(rate),
        "promises_kept": figures.kept,
        "promises_partially_kept": figures.partially_kept,
        "promises_broken": figures.broken,
    }


report_urlpatterns = [
    path("reports/aging/", aging_report, name="api_report_aging"),
    path("reports/kpis/", kpi_report, name="api_report_kpis"),
]
