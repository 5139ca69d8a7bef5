"""API v1: ``GET/PATCH /api/v1/customers/<id>/credit/`` — status, limit, exposure and any
pending limit request of one customer; a PATCH goes through the same services as the page."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import CreditStatus
from accounts.selectors import customer_for

from . import selectors, services
from .models import PERSON_REASONS, STATUSES_WITH_UNTIL, LimitChangeRequest


class ExposureSerializer(serializers.Serializer):
    currency = serializers.CharField()
    open_ar = serializers.DecimalField(max_digits=18, decimal_places=2)
    open_orders = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        help_text="Held and released sales orders not yet invoiced or cancelled.",
    )
    unapplied_credits = serializers.DecimalField(max_digits=18, decimal_places=2)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)
    available = serializers.DecimalField(max_digits=18, decimal_places=2)
    used_pct = serializers.IntegerField(allow_null=True)
    accounts = serializers.IntegerField(
        help_text="The customer and every account below it, all counted in the exposure."
    )
    missing_rates = serializers.ListField(
        child=serializers.CharField(),
        help_text="Currencies left out of the amounts: no exchange rate in force today.",
    )


class LimitRequestSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="currency_id")
    requested_by = serializers.CharField(source="requested_by.username", default=None)
    assigned_to = serializers.CharField(source="assigned_to.username")

    class Meta:
        model = LimitChangeRequest
        fields = [
            "id",
            "status",
            "limit_before",
            "requested_limit",
            "currency",
            "reason",
            "comment",
            "requested_by",
            "assigned_to",
            "created_at",
        ]


class CreditSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk")
    credit_status = serializers.ChoiceField(
        source="customer.credit_status", choices=CreditStatus.choices
    )
    credit_limit = serializers.DecimalField(
        source="customer.credit_limit", max_digits=18, decimal_places=2
    )
    currency = serializers.CharField(source="customer.currency_id")
    exposure = ExposureSerializer()
    pending_limit_request = LimitRequestSerializer(allow_null=True)


class CreditChangeSerializer(serializers.Serializer):
    credit_status = serializers.ChoiceField(choices=CreditStatus.choices, required=False)
    credit_limit = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="In the customer's currency. Above your credit authority it becomes a "
        "limit change request (response 202) for someone whose authority covers it.",
    )
    reason = serializers.ChoiceField(choices=PERSON_REASONS)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A watch or hold ends by itself after this day.",
    )

    def validate(self, attrs):
        if "credit_status" not in attrs and "credit_limit" not in attrs:
            raise serializers.ValidationError("send credit_status, credit_limit or both")
        if attrs.get("until") and attrs.get("credit_status") not in STATUSES_WITH_UNTIL:
            raise serializers.ValidationError(
                {"until": "only a watch or a hold can have an end date"}
            )
        return attrs


class _CreditPermission(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return user.has_perms(["accounts.view_customer", "credit.view_creditchange"])
        return user.has_perm("credit.change_credit")


class CustomerCreditView(APIView):
    permission_classes = [_CreditPermission]

    def _state(self, customer) -> dict:
        return {
            "customer": customer,
            "exposure": selectors.exposure_for(customer),
            "pending_limit_request": selectors.pending_limit_request(customer),
        }

    @extend_schema(responses=CreditSerializer, summary="A customer's credit status and exposure")
    def get(self, request, pk: int):
        customer = customer_for(request.user, pk)
        return Response(CreditSerializer(self._state(customer)).data)

    @extend_schema(
        request=CreditChangeSerializer,
        responses={
            200: CreditSerializer,
            202: OpenApiResponse(
                CreditSerializer,
                description="The limit is above your authority: a limit change request was "
                "forwarded (pending_limit_request); nothing changed yet.",
            ),
        },
        summary="Change a customer's credit status and/or limit, with a reason",
    )
    def patch(self, request, pk: int):
        customer = customer_for(request.user, pk)
        serializer = CreditChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        forwarded = False
        with transaction.atomic():
            if "credit_status" in data and data["credit_status"] != customer.credit_status:
                services.credit_status_set(
                    actor=request.user,
                    customer=customer,
                    status=data["credit_status"],
                    reason=data["reason"],
                    comment=data["comment"],
                    until=data["until"],
                )
            if "credit_limit" in data and data["credit_limit"] != customer.credit_limit:
                result = services.credit_limit_set(
                    actor=request.user,
                    customer=customer,
                    limit=data["credit_limit"],
                    reason=data["reason"],
                    comment=data["comment"],
                )
                forwarded = isinstance(result, LimitChangeRequest)
        customer = customer_for(request.user, pk)
        return Response(
            CreditSerializer(self._state(customer)).data,
            status=status.HTTP_202_ACCEPTED if forwarded else status.HTTP_200_OK,
        )
