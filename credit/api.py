"""API v1: ``GET/PATCH /api/v1/customers/<id>/credit/`` — status, limit, exposure and any
pending limit request of one customer; a PATCH goes through the same services as the page."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_fields import MoneyField
from accounts.date_range import BoundedDateFilter
from accounts.models import CreditStatus, PaymentTerms
from accounts.money import MONEY_TOTAL
from accounts.selectors import customer_for, customers_for
from invoices.idempotency import idempotent

from . import reviews, selectors, services
from .models import (
    PERSON_REASONS,
    STATUSES_WITH_UNTIL,
    CreditReview,
    LimitChangeRequest,
    LimitRequestStatus,
    RiskClass,
)
from .risk import risk_of


class ExposureSerializer(serializers.Serializer):
    currency = serializers.CharField()
    open_ar = serializers.DecimalField(**MONEY_TOTAL)
    open_orders = serializers.DecimalField(
        **MONEY_TOTAL,
        help_text="Held and released sales orders not yet invoiced or cancelled.",
    )
    unapplied_credits = serializers.DecimalField(**MONEY_TOTAL)
    total = serializers.DecimalField(**MONEY_TOTAL)
    available = serializers.DecimalField(**MONEY_TOTAL)
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
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, allow_null=True
    )
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


class RiskSerializer(serializers.Serializer):
    risk_class = serializers.ChoiceField(choices=RiskClass.choices)
    score = serializers.IntegerField()
    factors = serializers.ListField(
        child=serializers.CharField(), help_text="What made the score, in words, heaviest first."
    )
    previous_class = serializers.CharField(
        allow_blank=True, help_text="The class before its last change; empty if it never changed."
    )
    class_changed_at = serializers.DateTimeField(allow_null=True)
    avg_days_late = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    avg_days_late_recent = serializers.DecimalField(
        max_digits=7,
        decimal_places=1,
        allow_null=True,
        help_text="Invoices settled in the last 90 days.",
    )
    avg_days_late_before = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True, help_text="The 12 months before those."
    )
    invoices_paid = serializers.IntegerField()
    paid_late_pct = serializers.IntegerField(allow_null=True)
    broken_promises = serializers.IntegerField()
    disputes = serializers.IntegerField()
    returned_payments = serializers.IntegerField()
    limit_use_pct = serializers.IntegerField(allow_null=True)
    computed_at = serializers.DateTimeField()


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
    risk = RiskSerializer(allow_null=True, help_text="Null until the nightly score has run.")


class CreditChangeSerializer(serializers.Serializer):
    credit_status = serializers.ChoiceField(choices=CreditStatus.choices, required=False)
    credit_limit = MoneyField(
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
            "risk": risk_of(customer),
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


# --- limit change requests and credit reviews as resources -----------------------------------
#
# Reads need what the credit endpoint needs (the customer and its credit history); writes
# need ``credit.change_credit``. Every list starts from the user's portfolio, so another
# portfolio's request or review is a 404 like one that does not exist.


class LimitRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LimitRequestStatus.choices)
    customer = django_filters.NumberFilter(field_name="customer_id")
    assigned_to = django_filters.CharFilter(
        field_name="assigned_to__username", help_text="Username of the person who decides."
    )
    created_after = BoundedDateFilter(field_name="created_at", lookup_expr="date__gte")

    class Meta:
        model = LimitChangeRequest
        fields = ["status", "customer", "assigned_to", "created_after"]


class LimitRequestResourceSerializer(LimitRequestSerializer):
    customer = serializers.IntegerField(source="customer_id")
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta(LimitRequestSerializer.Meta):
        fields = [
            *LimitRequestSerializer.Meta.fields,
            "customer",
            "decided_by",
            "decided_at",
            "decision_comment",
        ]


class LimitRequestCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    requested_limit = MoneyField(min_value=0)
    reason = serializers.ChoiceField(choices=PERSON_REASONS)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class LimitRequestAppliedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    customer = serializers.IntegerField()
    credit_limit = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()


class LimitRequestDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(help_text="The reason for the decision.")


def _limit_requests_for(user):
    return LimitChangeRequest.objects.filter(
        customer__in=customers_for(user).values("pk")
    ).select_related("requested_by", "assigned_to", "decided_by")


class LimitRequestListView(generics.ListAPIView):
    """Limit change requests in your reach; POST asks for a new limit (above your authority
    it becomes a request for someone whose authority covers it)."""

    permission_classes = [_CreditPermission]
    serializer_class = LimitRequestResourceSerializer
    filterset_class = LimitRequestFilter
    ordering_fields = ["created_at", "requested_limit"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return _limit_requests_for(self.request.user)

    @extend_schema(
        request=LimitRequestCreateSerializer,
        responses={
            201: OpenApiResponse(
                LimitRequestResourceSerializer,
                description="Above your authority: the request was forwarded; nothing changed yet.",
            ),
            200: OpenApiResponse(
                LimitRequestAppliedSerializer,
                description="Lower, or within your authority: the limit changed at once.",
            ),
        },
        summary="Ask for a new credit limit",
    )
    @idempotent
    def post(self, request):
        serializer = LimitRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = customers_for(request.user).filter(pk=data["customer"]).first()
        if customer is None:
            raise serializers.ValidationError(
                {"customer": [f'Invalid pk "{data["customer"]}" - object does not exist.']}
            )
        result = services.credit_limit_set(
            actor=request.user,
            customer=customer,
            limit=data["requested_limit"],
            reason=data["reason"],
            comment=data["comment"],
        )
        if isinstance(result, LimitChangeRequest):
            fresh = _limit_requests_for(request.user).get(pk=result.pk)
            return Response(
                LimitRequestResourceSerializer(fresh).data, status=status.HTTP_201_CREATED
            )
        body = {
            "detail": "within your authority: the limit changed at once",
            "customer": customer.pk,
            "credit_limit": result.limit_after,
            "currency": result.currency_id,
        }
        return Response(LimitRequestAppliedSerializer(body).data, status=status.HTTP_200_OK)


class LimitRequestDetailView(generics.RetrieveAPIView):
    permission_classes = [_CreditPermission]
    serializer_class = LimitRequestResourceSerializer

    def get_queryset(self):
        return _limit_requests_for(self.request.user)


class LimitRequestDecideView(APIView):
    permission_classes = [_CreditPermission]

    @extend_schema(
        request=LimitRequestDecisionSerializer,
        responses=LimitRequestResourceSerializer,
        summary="Approve or reject a pending limit change request",
    )
    def post(self, request, pk: int):
        pending = get_object_or_404(_limit_requests_for(request.user), pk=pk)
        serializer = LimitRequestDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.limit_request_decide(
            actor=request.user,
            request=pending,
            approve=serializer.validated_data["approve"],
            comment=serializer.validated_data["comment"],
        )
        fresh = _limit_requests_for(request.user).get(pk=pk)
        return Response(LimitRequestResourceSerializer(fresh).data)


class CreditReviewFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    reviewed_by = django_filters.CharFilter(field_name="reviewed_by__username")
    reviewed_after = BoundedDateFilter(field_name="reviewed_at", lookup_expr="date__gte")
    risk_class = django_filters.ChoiceFilter(choices=RiskClass.choices)

    class Meta:
        model = CreditReview
        fields = ["customer", "reviewed_by", "reviewed_after", "risk_class"]


class CreditReviewSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id")
    currency = serializers.CharField(source="currency_id")
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", default=None, allow_null=True
    )
    terms_before = serializers.CharField(source="terms_before.code")
    terms_after = serializers.CharField(source="terms_after.code")
    limit_request = serializers.IntegerField(source="limit_request_id", allow_null=True)

    class Meta:
        model = CreditReview
        fields = [
            "id",
            "customer",
            "due_on",
            "reviewed_by",
            "reviewed_at",
            "risk_class",
            "risk_score",
            "exposure",
            "currency",
            "financials",
            "limit_before",
            "limit_after",
            "limit_request",
            "terms_before",
            "terms_after",
            "comment",
            "next_review_on",
        ]


class CreditReviewCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    financials = serializers.CharField(help_text="What the statements, bank or agency say.")
    credit_limit = MoneyField(
        min_value=0,
        help_text="The limit decided (the current one to keep it); above your authority it "
        "becomes a limit change request (limit_request).",
    )
    terms = serializers.SlugRelatedField(slug_field="code", queryset=PaymentTerms.objects.all())
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    next_review_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: by the risk class."
    )


class ReviewDueSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer_id")
    next_review_on = serializers.DateField()
    last_reviewed_on = serializers.DateField(allow_null=True)


def _reviews_for(user):
    return CreditReview.objects.filter(
        customer__in=customers_for(user).values("pk")
    ).select_related("reviewed_by", "terms_before", "terms_after")


class CreditReviewListView(generics.ListAPIView):
    """Credit reviews recorded in your reach; POST records one with its decision."""

    permission_classes = [_CreditPermission]
    serializer_class = CreditReviewSerializer
    filterset_class = CreditReviewFilter
    ordering_fields = ["reviewed_at", "next_review_on"]
    ordering = ["-reviewed_at", "-id"]

    def get_queryset(self):
        return _reviews_for(self.request.user)

    @extend_schema(
        request=CreditReviewCreateSerializer,
        responses={201: CreditReviewSerializer},
        summary="Record a credit review and its decision on limit and terms",
    )
    @idempotent
    def post(self, request):
        serializer = CreditReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = customers_for(request.user).filter(pk=data["customer"]).first()
        if customer is None:
            raise serializers.ValidationError(
                {"customer": [f'Invalid pk "{data["customer"]}" - object does not exist.']}
            )
        review = reviews.credit_review_record(
            actor=request.user,
            customer=customer,
            financials=data["financials"],
            limit=data["credit_limit"],
            terms=data["terms"],
            comment=data["comment"],
            next_review_on=data["next_review_on"],
        )
        fresh = _reviews_for(request.user).get(pk=review.pk)
        return Response(CreditReviewSerializer(fresh).data, status=status.HTTP_201_CREATED)


class CreditReviewDetailView(generics.RetrieveAPIView):
    permission_classes = [_CreditPermission]
    serializer_class = CreditReviewSerializer

    def get_queryset(self):
        return _reviews_for(self.request.user)


class ReviewsDueView(generics.ListAPIView):
    """Customers whose credit review is due (next review date today or earlier)."""

    permission_classes = [_CreditPermission]
    serializer_class = ReviewDueSerializer
    filter_backends: list = []

    def get_queryset(self):
        return reviews.reviews_due_for(self.request.user).order_by("next_review_on", "pk")
