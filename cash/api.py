"""Cash application over the API: upload a bank file and follow its import, read the
unapplied cash with the matcher's suggestions, apply one suggestion. The same services and
selectors as the pages; an upload and an apply honour ``Idempotency-Key``."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import requires
from accounts.errors import ServiceError
from accounts.roles import CASH_VIEW, CASH_WORK
from accounts.uploads import UploadSizeChecked
from invoices import services as ledger
from invoices.idempotency import idempotent
from invoices.models import Payment

from . import selectors, services
from .models import BankCsvMapping, BankImport, MatchSuggestion


class BankImportSerializer(serializers.ModelSerializer):
    format = serializers.CharField(help_text="camt, bai2, mt940, lockbox or csv")
    status = serializers.CharField(help_text="queued, running, done or failed (refused)")
    percent = serializers.IntegerField(read_only=True)
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", default=None, allow_null=True
    )
    csv_mapping = serializers.IntegerField(source="csv_mapping_id", allow_null=True)
    errors = serializers.ListField(child=serializers.DictField())

    class Meta:
        model = BankImport
        fields = [
            "id",
            "file_name",
            "format",
            "status",
            "percent",
            "rows_total",
            "rows_done",
            "credits_posted",
            "credits_unidentified",
            "applied_automatically",
            "already_imported",
            "debits_listed",
            "payments_voided",
            "errors",
            "csv_mapping",
            "uploaded_by",
            "created_at",
            "finished_at",
        ]


class BankImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    csv_mapping = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class SuggestionSerializer(serializers.ModelSerializer):
    invoice = serializers.IntegerField(source="invoice_id")
    invoice_number = serializers.CharField(source="invoice.number")

    class Meta:
        model = MatchSuggestion
        fields = ["rank", "invoice", "invoice_number", "amount", "score", "reason"]


class UnappliedPaymentSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id")
    currency = serializers.CharField(source="currency_id")
    suggestions = SuggestionSerializer(many=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "reference",
            "customer",
            "received_date",
            "amount",
            "unapplied_amount",
            "currency",
            "suggestions",
        ]


class ApplySuggestionSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class AppliedSerializer(serializers.Serializer):
    payment = serializers.IntegerField()
    invoice = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    unapplied_amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class BankImportListView(UploadSizeChecked, generics.ListAPIView):
    """Bank file imports, newest first; POST uploads a file and queues its import."""

    upload_limit_setting = "CASH_IMPORT_MAX_BYTES"
    permission_classes = [requires(CASH_VIEW)]
    serializer_class = BankImportSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return selectors.bank_imports()

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(CASH_WORK)()]
        return super().get_permissions()

    @extend_schema(
        request={"multipart/form-data": BankImportUploadSerializer},
        responses={202: BankImportSerializer},
        summary="Upload a bank file (camt, BAI2, MT940, lockbox; CSV with a mapping id)",
    )
    @idempotent
    def post(self, request):
        serializer = BankImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > settings.CASH_IMPORT_MAX_BYTES:
            raise ServiceError(
                f"the file is {upload.size:,} bytes; at most "
                f"{settings.CASH_IMPORT_MAX_BYTES:,} are accepted",
                field="file",
            )
        mapping = None
        if serializer.validated_data.get("csv_mapping"):
            mapping = BankCsvMapping.objects.filter(
                pk=serializer.validated_data["csv_mapping"]
            ).first()
            if mapping is None:
                raise ServiceError("no such CSV mapping", field="csv_mapping")
        job = services.bank_import_upload(
            actor=request.user, file_name=upload.name, content=upload.read(), csv_mapping=mapping
        )
        fresh = selectors.bank_imports().get(pk=job.pk)
        return Response(BankImportSerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


class BankImportDetailView(generics.RetrieveAPIView):
    """One import: its status, progress by rows, counts and the refusal's errors."""

    permission_classes = [requires(CASH_VIEW)]
    serializer_class = BankImportSerializer

    def get_queryset(self):
        return selectors.bank_imports()


class UnappliedListView(generics.ListAPIView):
    """Payments with something unapplied, oldest first, with the matcher's suggestions."""

    permission_classes = [requires(CASH_VIEW)]
    serializer_class = UnappliedPaymentSerializer

    def get_queryset(self):
        return selectors.unapplied_payments(self.request.user)


class ApplySuggestionView(APIView):
    permission_classes = [requires(CASH_WORK)]

    @extend_schema(
        request=ApplySuggestionSerializer,
        responses=AppliedSerializer,
        summary="Apply one of the matcher's suggestions for a payment",
    )
    @idempotent
    def post(self, request, pk: int):
        payment = selectors.payment_for(request.user, pk)
        serializer = ApplySuggestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        suggestion = get_object_or_404(
            MatchSuggestion, payment=payment, invoice_id=serializer.validated_data["invoice"]
        )
        with transaction.atomic():
            ledger.payment_apply(
                actor=request.user,
                payment=payment,
                allocations=[
                    ledger.Allocation(invoice_id=suggestion.invoice_id, amount=suggestion.amount)
                ],
            )
        payment.refresh_from_db(fields=["unapplied_amount"])
        body = {
            "payment": payment.pk,
            "invoice": suggestion.invoice_id,
            "amount": suggestion.amount,
            "unapplied_amount": payment.unapplied_amount,
        }
        return Response(AppliedSerializer(body).data)


cash_urlpatterns = [
    path("cash/bank-imports/", BankImportListView.as_view(), name="api_cash_bank_imports"),
    path(
        "cash/bank-imports/<int:pk>/",
        BankImportDetailView.as_view(),
        name="api_cash_bank_import",
    ),
    path("cash/unapplied/", UnappliedListView.as_view(), name="api_cash_unapplied"),
    path(
        "cash/payments/<int:pk>/apply-suggestion/",
        ApplySuggestionView.as_view(),
        name="api_cash_apply_suggestion",
    ),
]
