"""API v1: customers and contacts. Serializers translate; services decide."""

from django.contrib.auth import get_user_model
from rest_framework import mixins, serializers, viewsets

from . import selectors, services
from .api_permissions import RolePermissions
from .filters import ContactFilter, CustomerFilter
from .models import Contact, Currency, Customer


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


class CustomerSerializer(serializers.ModelSerializer):
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
