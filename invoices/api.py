"""API v1 for the ledger: invoices, payments, credit memos, applications, adjustments.

Creating money goes through ``services``; every create honours ``Idempotency-Key``.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api_fields import MoneyField, MoneyModelSerializer
from accounts.api_permissions import RolePermissions, requires
from accounts.errors import ServiceError
from accounts.models import Currency
from accounts.selectors import customers_for

from . import selectors, services
from .filters import (
    AdjustmentFilter,
    ApplicationFilter,
    CreditMemoFilter,
    InvoiceFilter,
    PaymentFilter,
)
from .idempotency import HEADER, idempotent
from .models import Adjustment, AdjustmentKind, Application, CreditMemo, Invoice, Payment

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="A replay with the same key returns the first response and creates nothing.",
)


class ScopedCustomerField(serializers.SlugRelatedField):
    """A customer named by external_ref, limited to the requesting user's reach."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="external_ref", **kwargs)

    def get_queryset(self):
        return customers_for(self.context["request"].user)


class CurrencyField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Currency.objects.all(), **kwargs)


class InvoiceSerializer(MoneyModelSerializer):
    customer = ScopedCustomerField()
    customer_id = serializers.IntegerField(read_only=True)
    currency = CurrencyField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "customer",
            "customer_id",
            "issue_date",
            "due_date",
            "amount",
            "currency",
            "open_amount",
            "po_number",
            "created_at",
        ]
        read_only_fields = ["open_amount", "created_at"]
        extra_kwargs = {"number": {"validators": []}}


class AllocationSerializer(serializers.Serializer):
    invoice = serializers.IntegerField()
    amount = MoneyField()


class ApplyRequestSerializer(serializers.Serializer):
    allocations = AllocationSerializer(many=True, required=False)
    oldest_first = serializers.BooleanField(default=False)
    effective_date = serializers.DateField(required=False)

    def validate(self, attrs):
        if bool(attrs.get("allocations")) == attrs["oldest_first"]:
            raise serializers.ValidationError("give either allocations or oldest_first=true")
        return attrs


def _allocations(user, rows) -> list[services.Allocation]:
    """Resolve invoice ids through the user's scope: an unseen invoice is a 404, not a hint."""
    visible = set(
        selectors.invoices_for(user)
        .filter(pk__in=[row["invoice"] for row in rows])
        .values_list("pk", flat=True)
    )
    out = []
    for index, row in enumerate(rows):
        if row["invoice"] not in visible:
            # The service's own words for a missing invoice, so out of reach reads the same.
            raise ServiceError(
                f"invoice {row['invoice']} does not exist", field=f"allocations[{index}]"
            )
        out.append(services.Allocation(invoice_id=row["invoice"], amount=row["amount"]))
    return out


class PaymentSerializer(MoneyModelSerializer):
    customer = ScopedCustomerField()
    customer_id = serializers.IntegerField(read_only=True)
    currency = CurrencyField(required=False)
    allocations = AllocationSerializer(many=True, write_only=True, required=False)
    apply_oldest_first = serializers.BooleanField(write_only=True, default=False)

    class Meta:
        model = Payment
        fields = [
            "id",
            "reference",
            "customer",
            "customer_id",
            "received_date",
            "amount",
            "currency",
            "unapplied_amount",
            "method",
            "allocations",
            "apply_oldest_first",
            "created_at",
        ]
        read_only_fields = ["unapplied_amount", "created_at"]
        extra_kwargs = {"reference": {"validators": []}}


class CreditMemoSerializer(MoneyModelSerializer):
    customer = ScopedCustomerField()
    customer_id = serializers.IntegerField(read_only=True)
    currency = CurrencyField(required=False)
    allocations = AllocationSerializer(many=True, write_only=True, required=False)

    class Meta:
        model = CreditMemo
        fields = [
            "id",
            "number",
            "customer",
            "customer_id",
            "issue_date",
            "amount",
            "currency",
            "unapplied_amount",
            "reason",
            "allocations",
            "created_at",
        ]
        read_only_fields = ["unapplied_amount", "created_at"]
        # The service needs a reason; without one the request is a 400, not a TypeError.
        extra_kwargs = {"number": {"validators": []}, "reason": {"required": True}}


class ApplicationSerializer(MoneyModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    payment_reference = serializers.CharField(
        source="payment.reference", read_only=True, default=None, allow_null=True
    )
    credit_memo_number = serializers.CharField(
        source="credit_memo.number", read_only=True, default=None, allow_null=True
    )
    currency = serializers.CharField(source="currency_id", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "payment",
            "payment_reference",
            "credit_memo",
            "credit_memo_number",
            "amount",
            "currency",
            "effective_date",
            "reverses",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class ReverseRequestSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, default="")
    effective_date = serializers.DateField(required=False)


class AdjustmentSerializer(MoneyModelSerializer):
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.none())
    kind = serializers.ChoiceField(choices=AdjustmentKind.choices)
    currency = serializers.CharField(source="currency_id", read_only=True)

    class Meta:
        model = Adjustment
        fields = ["id", "invoice", "kind", "amount", "currency", "effective_date", "reason"]
        read_only_fields = ["currency"]
        extra_kwargs = {"effective_date": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["invoice"].queryset = selectors.invoices_for(request.user)


class _LedgerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [RolePermissions]

    @extend_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class InvoiceViewSet(_LedgerViewSet):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["due_date", "issue_date", "amount", "open_amount", "number"]
    queryset = Invoice.objects.none()

    def get_queryset(self):
        return selectors.invoices_for(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.invoice_create(
            actor=self.request.user, **serializer.validated_data
        )


class PaymentViewSet(_LedgerViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["received_date", "amount", "unapplied_amount", "reference"]
    queryset = Payment.objects.none()

    def get_queryset(self):
        return selectors.payments_for(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        rows = data.pop("allocations", [])
        oldest_first = data.pop("apply_oldest_first", False)
        serializer.instance = services.payment_post(
            actor=self.request.user,
            allocations=_allocations(self.request.user, rows),
            apply_oldest_first=oldest_first,
            **data,
        )

    @extend_schema(
        request=ApplyRequestSerializer,
        responses={201: ApplicationSerializer(many=True)},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(
        detail=True, methods=["post"], permission_classes=[requires("invoices.add_application")]
    )
    @idempotent
    def apply(self, request, pk=None):
        payment = get_object_or_404(self.get_queryset(), pk=pk)
        body = ApplyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["oldest_first"]:
            applications = services.payment_apply_oldest_first(
                actor=request.user,
                payment=payment,
                effective_date=body.validated_data.get("effective_date"),
            )
        else:
            applications = services.payment_apply(
                actor=request.user,
                payment=payment,
                allocations=_allocations(request.user, body.validated_data["allocations"]),
                effective_date=body.validated_data.get("effective_date"),
            )
        return Response(
            ApplicationSerializer(applications, many=True).data, status=status.HTTP_201_CREATED
        )


class CreditMemoViewSet(_LedgerViewSet):
    serializer_class = CreditMemoSerializer
    queryset = CreditMemo.objects.none()
    filterset_class = CreditMemoFilter

    def get_queryset(self):
        return selectors.credit_memos_for(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        rows = data.pop("allocations", [])
        serializer.instance = services.credit_memo_issue(
            actor=self.request.user, allocations=_allocations(self.request.user, rows), **data
        )

    @extend_schema(
        request=ApplyRequestSerializer,
        responses={201: ApplicationSerializer(many=True)},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(
        detail=True, methods=["post"], permission_classes=[requires("invoices.add_application")]
    )
    @idempotent
    def apply(self, request, pk=None):
        memo = get_object_or_404(self.get_queryset(), pk=pk)
        body = ApplyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["oldest_first"]:
            raise serializers.ValidationError({"oldest_first": "credit memos name their invoices"})
        applications = services.credit_memo_apply(
            actor=request.user,
            credit_memo=memo,
            allocations=_allocations(request.user, body.validated_data["allocations"]),
            effective_date=body.validated_data.get("effective_date"),
        )
        return Response(
            ApplicationSerializer(applications, many=True).data, status=status.HTTP_201_CREATED
        )


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApplicationSerializer
    permission_classes = [RolePermissions]
    filterset_class = ApplicationFilter
    ordering_fields = ["effective_date", "created_at", "amount"]
    queryset = Application.objects.none()

    def get_queryset(self):
        return selectors.applications_for(self.request.user)

    @extend_schema(
        request=ReverseRequestSerializer,
        responses={201: ApplicationSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(
        detail=True, methods=["post"], permission_classes=[requires("invoices.add_application")]
    )
    @idempotent
    def reverse(self, request, pk=None):
        application = get_object_or_404(self.get_queryset(), pk=pk)
        body = ReverseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reversal = services.application_reverse(
            actor=request.user, application=application, **body.validated_data
        )
        return Response(ApplicationSerializer(reversal).data, status=status.HTTP_201_CREATED)


class AdjustmentViewSet(_LedgerViewSet):
    serializer_class = AdjustmentSerializer
    queryset = Adjustment.objects.none()
    filterset_class = AdjustmentFilter

    def get_queryset(self):
        return selectors.adjustments_for(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.invoice_adjust(
            actor=self.request.user, **serializer.validated_data
        )
