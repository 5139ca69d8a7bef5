"""API v1: customers, contacts and exchange rates. Serializers translate; services decide."""

from django.contrib.auth import get_user_model
from rest_framework import mixins, serializers, viewsets

from . import selectors, services
from .api_fields import MoneyModelSerializer
from .api_permissions import RolePermissions
from .errors import ServiceError
from .exchange_rates import exchange_rate_set
from .filters import ContactFilter, CustomerFilter, ExchangeRateFilter
from .models import Contact, Currency, Customer, ExchangeRate


class ContactSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())

    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "role", "email", "phone", "is_primary"]
        # One primary per customer is the service's to keep: a new primary takes over.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = selectors.customers_for(request.user)


class CustomerSerializer(MoneyModelSerializer):
    currency = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.all())
    payment_terms_days = serializers.IntegerField(
        source="payment_terms.net_days", min_value=0, max_value=365, required=False
    )
    assigned_collector = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_ref",
            "name",
            "parent",
            "currency",
            "payment_terms_days",
            "credit_limit",
            "credit_status",
            "assigned_collector",
            "do_not_contact",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is the service's to decide, so a duplicate gets its clear message.
        extra_kwargs = {"external_ref": {"validators": []}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["parent"].queryset = selectors.customers_for(request.user)

    def validate_external_ref(self, value: str) -> str:
        if self.instance is not None and value != self.instance.external_ref:
            raise serializers.ValidationError(
                "external_ref is the ERP's key for this customer and cannot change"
            )
        return value

    # A credit change needs a reason code, the actor's credit authority and its history:
    # only the credit endpoint (credit/api.py, the same service as the credit page) makes it.
    def validate_credit_limit(self, value):
        return self._credit_unchanged("credit_limit", value)

    def validate_credit_status(self, value):
        return self._credit_unchanged("credit_status", value)

    def _credit_unchanged(self, name: str, value):
        if self.instance is not None and value != getattr(self.instance, name):
            raise serializers.ValidationError(
                f"change {name} with PATCH /api/v1/customers/{self.instance.pk}/credit/ "
                "(it takes a reason code)"
            )
        return value

    def to_service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        terms = data.pop("payment_terms", None)
        if terms is not None:
            data["payment_terms"] = services.payment_terms_for_days(terms["net_days"])
        return data


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CustomerSerializer
    permission_classes = [RolePermissions]
    filterset_class = CustomerFilter
    ordering_fields = ["name", "external_ref", "credit_limit", "created_at"]
    queryset = Customer.objects.none()

    def get_queryset(self):
        return selectors.customers_for(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.customer_create(
            actor=self.request.user, **serializer.to_service_kwargs()
        )

    def perform_update(self, serializer):
        changes = serializer.to_service_kwargs()
        changes.pop("external_ref", None)
        serializer.instance = services.customer_update(
            actor=self.request.user, customer=serializer.instance, **changes
        )


class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ContactSerializer
    permission_classes = [RolePermissions]
    filterset_class = ContactFilter
    queryset = Contact.objects.none()

    def get_queryset(self):
        return selectors.contacts_for(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.contact_add(
            actor=self.request.user, **serializer.validated_data
        )


class ExchangeRateSerializer(serializers.ModelSerializer):
    currency = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.all())
    quote_currency = serializers.SlugRelatedField(
        slug_field="code", queryset=Currency.objects.all()
    )
    # text in, text out: the service refuses floats, zero and negative rates
    rate = serializers.DecimalField(max_digits=18, decimal_places=8, coerce_to_string=True)

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "quote_currency", "valid_from", "rate"]
        # one rate per pair and day is the service's to decide, with its clear message
        validators = []


class ExchangeRateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Rates to and from any currency, read by every role; set by finance and admins.

    A rate is named by its pair and day: an update changes the rate only.
    """

    serializer_class = ExchangeRateSerializer
    permission_classes = [RolePermissions]
    filterset_class = ExchangeRateFilter
    ordering_fields = ["valid_from", "currency", "quote_currency"]
    queryset = ExchangeRate.objects.none()

    def get_queryset(self):
        return ExchangeRate.objects.order_by("currency_id", "quote_currency_id", "-valid_from")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = exchange_rate_set(actor=self.request.user, **data)

    def perform_update(self, serializer):
        rate = serializer.instance
        for name in ("currency", "quote_currency", "valid_from"):
            given = serializer.validated_data.get(name, getattr(rate, name))
            if given != getattr(rate, name):
                raise ServiceError(
                    f"{name} names the rate and cannot change; post a new rate instead",
                    field=name,
                )
        serializer.instance = exchange_rate_set(
            actor=self.request.user,
            currency=rate.currency,
            quote_currency=rate.quote_currency,
            valid_from=rate.valid_from,
            rate=serializer.validated_data.get("rate", rate.rate),
            replace=True,
        )
