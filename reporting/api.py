"""Reports for BI: aging and KPIs as JSON, decimal strings, scoped to the caller's reach;
aging exports started and fetched over the API."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import requires
from accounts.buckets import BUCKETS
from accounts.fx import ReportError
from invoices.api import IDEMPOTENCY_PARAMETER
from invoices.idempotency import idempotent

from .aging import BASES, GROUPINGS, aging
from .exports import export_path
from .forms import AgingForm, KpiForm
from .kpis import KPI_NAMES, inputs_live, kpis_from_inputs, rounded
from .models import ExportFormat, ExportJob, ExportKind
from .selectors import (
    aging_query_for,
    customers_in_reach,
    export_downloads_for,
    export_jobs_for,
)
from .services import export_job_create
from .workflow import dispute_cycle, promise_kept


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
        OpenApiParameter("as_of", OpenApiTypes.DATE, description="YYYY-MM-DD; default today"),
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
    parameters=[
        OpenApiParameter("start", OpenApiTypes.DATE),
        OpenApiParameter("end", OpenApiTypes.DATE),
    ],
    responses={200: dict},
)
@api_view(["GET"])
@permission_classes([requires("invoices.view_invoice")])
def kpi_report(request):
    """DSO, countback DSO, best-possible DSO, ADD, CEI, over-90 share, promise-kept rate and
    dispute cycle time for a period."""
    form = _form_or_400(KpiForm(request.query_params))
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        customers = customers_in_reach(request.user)
        inputs = inputs_live(customers, start, end)
    except ReportError as error:
        raise ValidationError({"end": [str(error)]}) from None
    figures = kpis_from_inputs(inputs)
    promises, promises_by_collector = promise_kept(customers, start, end)
    cycle = dispute_cycle(customers, start, end)
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
            **dispute_cycle_payload(cycle),
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


def dispute_cycle_payload(cycle) -> dict:
    mean, median = rounded(cycle.mean_days), rounded(cycle.median_days)
    return {
        "dispute_cycle_days": None if mean is None else str(mean),
        "dispute_cycle_median_days": None if median is None else str(median),
        "disputes_resolved": cycle.resolved,
    }


# --- exports -----------------------------------------------------------------------------


class ExportRequestSerializer(serializers.Serializer):
    """What to export; the aging parameters are the aging API's, parsed by the same form."""

    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    as_of = serializers.DateField(required=False, help_text="default today")
    basis = serializers.ChoiceField(choices=BASES, required=False)
    grouping = serializers.ChoiceField(choices=GROUPINGS, required=False)
    collector = serializers.IntegerField(required=False, min_value=1)
    currency = serializers.CharField(required=False, max_length=3)
    customer = serializers.IntegerField(required=False, min_value=1)
    in_dispute = serializers.ChoiceField(choices=["yes", "no"], required=False)


class ExportJobSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(
        help_text="null until the export is done and again once it expired; only its owner "
        "may download it"
    )
    expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="when the file stops being offered and is deleted (settings."
        "REPORTING_EXPORT_KEEP_DAYS after it was written); null until done",
    )

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "format",
            "parameters",
            "status",
            "progress",
            "rows_written",
            "file_size",
            "error",
            "created_at",
            "finished_at",
            "expires_at",
            "status_url",
            "download_url",
        ]
        read_only_fields = fields

    def get_status_url(self, job) -> str:
        return self._url("api_report_export", job)

    def get_download_url(self, job) -> str | None:
        if not job.is_downloadable:
            return None
        return self._url("api_report_export_download", job)

    def _url(self, name: str, job) -> str:
        return self.context["request"].build_absolute_uri(reverse(name, kwargs={"pk": job.pk}))


class ExportCreateView(APIView):
    permission_classes = [requires("reporting.add_exportjob")]

    @extend_schema(
        request=ExportRequestSerializer,
        responses={202: ExportJobSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Start an aging export",
    )
    @idempotent
    def post(self, request):
        """Queue an aging export run by a worker with the caller's reach; poll the status URL
        until a download URL appears. A replay with the same Idempotency-Key returns the
        first job and queues nothing."""
        request_data = ExportRequestSerializer(data=request.data)
        request_data.is_valid(raise_exception=True)
        form = _form_or_400(AgingForm(request.data))  # e.g. a currency that does not exist
        job = export_job_create(
            user=request.user,
            kind=request_data.validated_data["kind"],
            format=request_data.validated_data["format"],
            filters=form.filters(),
        )
        body = ExportJobSerializer(job, context={"request": request}).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]}
        )


class ExportDetailView(APIView):
    permission_classes = [requires("reporting.view_exportjob")]

    @extend_schema(responses={200: ExportJobSerializer}, summary="An export's status")
    def get(self, request, pk: int):
        """Status and progress of one of the caller's exports; another user's is a 404."""
        job = get_object_or_404(export_jobs_for(request.user), pk=pk)
        return Response(ExportJobSerializer(job, context={"request": request}).data)


class ExportDownloadView(APIView):
    permission_classes = [requires("reporting.view_exportjob")]

    @extend_schema(
        # FileResponse names the type from the file's extension: one per export format
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        },
        summary="Download a finished export",
    )
    def get(self, request, pk: int):
        """The file of one of the caller's finished exports; anyone else's is a 404."""
        job = get_object_or_404(export_downloads_for(request.user), pk=pk)
        path = export_path(job)
        if not path.is_file():
            raise Http404("the export file is gone")
        return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name)


report_urlpatterns = [
    path("reports/aging/", aging_report, name="api_report_aging"),
    path("reports/kpis/", kpi_report, name="api_report_kpis"),
    path("reports/exports/", ExportCreateView.as_view(), name="api_report_exports"),
    path("reports/exports/<int:pk>/", ExportDetailView.as_view(), name="api_report_export"),
    path(
        "reports/exports/<int:pk>/download/",
        ExportDownloadView.as_view(),
        name="api_report_export_download",
    ),
]
