"""API v1 for the ERP's orders: ``POST /api/v1/orders/`` decides at once,
``GET/PATCH /api/v1/orders/<ref>/`` reads or changes one, ``POST …/cancel/`` cancels it.
Serializers translate; ``credit.order_services`` decides."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.api_fields import MONEY_DESCRIPTION
from accounts.api_imports import CsvImportView, import_schema
from accounts.api_permissions import requires
from accounts.errors import ServiceError
from accounts.models import Customer
from accounts.money import MONEY_TOTAL
from accounts.selectors import customers_for
from invoices.api import IDEMPOTENCY_PARAMETER
from invoices.idempotency import idempotent
from orders.models import Order, OrderDecision
from orders.services import order_cancel

from . import order_selectors, order_services
from .order_imports import import_orders

MONEY = {"max_digits": 18, "decimal_places": 2}
VIEW = "orders.view_order"
CUSTOMER_PARAMETER = OpenApiParameter(
    "customer",
    str,
    description="The customer's external reference, when the reference names orders of "
    "more than one customer within your reach (answered 400, code ambiguous).",
    required=False,
)


class _Requires(BasePermission):
    """``orders.view_order`` for every method, HEAD and OPTIONS included (they would tell a
    user without it what GET refuses), and the method's own permission on top."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        perms = [VIEW]
        own = view.perms_by_method.get(request.method)
        if own:
            perms.append(own)
        return user.has_perms(perms)


def _valid(serializer) -> dict:
    """The order API answers every 400 in one shape, a service's refusal
    (``{"detail", "code", "field"}``), whether the parser, the serializer or the service
    refuses: the first field refused, in the body's order."""
    if serializer.is_valid():
        return serializer.validated_data
    field, problem = next(iter(serializer.errors.items()))
    if field == api_settings.NON_FIELD_ERRORS_KEY:
        field = "body"
    raise ServiceError(_first_message(problem), field=field)


def _body(request):
    """The parsed body; a body that does not parse is refused in the one shape too."""
    try:
        return request.data
    except ParseError as error:
        raise ServiceError(f"the body does not parse: {error.detail}", field="body") from error


def _first_message(problem) -> str:
    while isinstance(problem, dict | list):
        problem = next(iter(problem.values() if isinstance(problem, dict) else problem))
    return str(problem)


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "The customer's id (a number) or its external reference (a string).",
    }
)
class CustomerReferenceField(serializers.Field):
    """A customer by id (a JSON number) or by external reference (a string), within reach."""

    default_error_messages = {
        "unknown": "no customer {value!r}",
        "invalid": "give an id or a reference",
    }

    def to_internal_value(self, data):
        customers = customers_for(self.context["request"].user)
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        found = (
            customers.filter(pk=data).first()
            if isinstance(data, int)
            else customers.filter(external_ref=data.strip()).first()
        )
        if found is None:
            self.fail("unknown", value=data)
        return found

    def to_representation(self, value):
        return value.external_ref


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "format": "decimal"}, {"type": "integer"}],
        "example": "1250.00",
        "description": MONEY_DESCRIPTION,
    }
)
class DecimalTextField(serializers.Field):
    """Money as decimal text or a whole number; a JSON fraction (a float) is refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            raise serializers.ValidationError(
                'give the amount as decimal text, e.g. "1250.00" (a JSON fraction is a float)'
            )
        return str(data)

    def to_representation(self, value):
        return str(value)


class OrderInSerializer(serializers.Serializer):
    external_ref = serializers.CharField(max_length=60)
    customer = CustomerReferenceField()
    amount = DecimalTextField()
    currency = serializers.CharField(max_length=3)
    requested_ship_date = serializers.DateField()
    lines = serializers.ListField(child=serializers.DictField(), required=False, max_length=1000)


class OrderChangeSerializer(serializers.Serializer):
    amount = DecimalTextField(required=False)
    requested_ship_date = serializers.DateField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"amount": "send amount, requested_ship_date or both"}
            )
        return attrs


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()


class DecisionSerializer(serializers.Serializer):
    """The answer to a received order: its first decision, replayed on a repeat."""

    id = serializers.IntegerField(source="order.pk")
    external_ref = serializers.CharField(source="order.external_ref")
    decision = serializers.CharField(source="status_after")
    reasons = ReasonSerializer(many=True)
    exposure_before = serializers.DecimalField(**MONEY_TOTAL)
    exposure_after = serializers.DecimalField(**MONEY_TOTAL)
    limit = serializers.DecimalField(source="credit_limit", **MONEY)
    currency = serializers.CharField(source="order.currency_id")


class HistorySerializer(serializers.ModelSerializer):
    # plain text, not a second enum of the same statuses (the schema names one set once)
    status_before = serializers.CharField()
    status_after = serializers.CharField()
    by = serializers.CharField(source="actor.username", default=None, allow_null=True)
    forwarded_to = serializers.CharField(
        source="forwarded_to.username", default=None, allow_null=True
    )
    limit = serializers.DecimalField(source="credit_limit", **MONEY)

    class Meta:
        model = OrderDecision
        fields = [
            "kind",
            "status_before",
            "status_after",
            "amount",
            "reasons",
            "exposure_before",
            "exposure_after",
            "limit",
            "comment",
            "over_limit_confirmed",
            "by",
            "forwarded_to",
            "created_at",
        ]


class OrderSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_ref")
    currency = serializers.CharField(source="currency_id")
    decision = serializers.CharField(source="status")
    reasons = ReasonSerializer(many=True)
    limit = serializers.DecimalField(source="credit_limit", **MONEY)
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    invoice = serializers.CharField(source="invoice.number", default=None, allow_null=True)
    history = HistorySerializer(many=True, source="history_rows")
    invoicing = serializers.ChoiceField(
        choices=["not_invoiced", "partly_invoiced", "invoiced"],
        read_only=True,
        help_text="Partly invoiced: invoices naming the order carry part of it; the rest "
        "(open_amount) still counts as an open order.",
    )
    open_amount = serializers.DecimalField(read_only=True, **MONEY)

    class Meta:
        model = Order
        fields = [
            "id",
            "external_ref",
            "customer",
            "amount",
            "currency",
            "requested_ship_date",
            "lines",
            "decision",
            "invoicing",
            "invoiced_amount",
            "open_amount",
            "reasons",
            "exposure_before",
            "exposure_after",
            "limit",
            "decided_by",
            "decided_at",
            "invoice",
            "history",
        ]


def _first_decision(order: Order) -> OrderDecision:
    return order.decisions.select_related("order").order_by("created_at", "id").first()


def _conflict_or_raise(error: ServiceError) -> Response:
    if error.code == "conflict":
        return Response(error.as_dict(), status=status.HTTP_409_CONFLICT)
    raise error


class OrderReceiveView(APIView):
    permission_classes = [_Requires]
    perms_by_method = {"POST": "orders.add_order"}

    @extend_schema(
        request=OrderInSerializer,
        responses={
            201: DecisionSerializer,
            200: OpenApiResponse(DecisionSerializer, description="A repeat: the first decision."),
            409: OpenApiResponse(description="The reference was used with a different body."),
        },
        summary="Receive an order from the ERP and decide it at once (released or held)",
    )
    def post(self, request):
        serializer = OrderInSerializer(data=_body(request), context={"request": request})
        data = _valid(serializer)
        try:
            order, created = order_services.order_receive(
                actor=request.user,
                external_ref=data["external_ref"],
                customer=data["customer"],
                amount=data["amount"],
                currency=data["currency"],
                requested_ship_date=data["requested_ship_date"],
                lines=data.get("lines", []),
            )
        except ServiceError as error:
            return _conflict_or_raise(error)
        return Response(
            DecisionSerializer(_first_decision(order)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _order(request, external_ref: str) -> Order:
    customer_ref = request.query_params.get("customer")
    # a reference is printable text of at most the column's length; anything else cannot
    # name a customer (and a NUL would reach PostgreSQL as an error, not a 400)
    if customer_ref is not None and (
        len(customer_ref) > CUSTOMER_REF_MAX or not customer_ref.isprintable()
    ):
        raise ServiceError("not a customer reference", field="customer")
    return order_selectors.order_by_reference(request.user, external_ref, customer_ref=customer_ref)


CUSTOMER_REF_MAX = Customer._meta.get_field("external_ref").max_length


def _order_data(request, external_ref: str) -> dict:
    order = _order(request, external_ref)
    order.history_rows = list(order_selectors.order_history(order))
    return OrderSerializer(order).data


class OrderDetailView(APIView):
    permission_classes = [_Requires]
    perms_by_method = {"GET": "orders.view_order", "PATCH": "orders.change_order"}

    @extend_schema(
        parameters=[CUSTOMER_PARAMETER],
        responses=OrderSerializer,
        summary="An order's current decision and history",
    )
    def get(self, request, ref: str):
        return Response(_order_data(request, ref))

    @extend_schema(
        request=OrderChangeSerializer,
        parameters=[CUSTOMER_PARAMETER],
        responses=OrderSerializer,
        summary="Change an open order's amount or ship date (the rules run again)",
    )
    def patch(self, request, ref: str):
        order = _order(request, ref)
        data = _valid(OrderChangeSerializer(data=_body(request)))
        order_services.order_change(actor=request.user, order=order, **data)
        return Response(_order_data(request, ref))


class OrderCancelView(APIView):
    permission_classes = [_Requires]
    perms_by_method = {"POST": "orders.change_order"}

    @extend_schema(
        request=None,
        parameters=[CUSTOMER_PARAMETER],
        responses=OrderSerializer,
        summary="Cancel an order",
    )
    def post(self, request, ref: str):
        order = _order(request, ref)
        data = _body(request)
        comment = data.get("comment", "") if hasattr(data, "get") else ""
        order_cancel(actor=request.user, order=order, comment=str(comment))
        return Response(_order_data(request, ref))


class OrderImportView(CsvImportView):
    """``POST /api/v1/imports/orders/``: a replay with the same ``Idempotency-Key`` and file
    returns the first counts; a file sent again without one leaves every order unchanged."""

    permission_classes = [requires("orders.add_order")]
    importer = staticmethod(import_orders)

    @import_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def post(self, request) -> Response:
        return self.run_import(request)
