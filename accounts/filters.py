import django_filters

from .date_range import BoundedDateFilter
from .models import Contact, CreditStatus, Customer, ExchangeRate


class CustomerFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    external_ref = django_filters.CharFilter()
    currency = django_filters.CharFilter(field_name="currency_id")
    credit_status = django_filters.ChoiceFilter(
        choices=CreditStatus.choices, empty_label="Any credit status"
    )
    collector = django_filters.CharFilter(field_name="assigned_collector__username")
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Customer
        fields = ["name", "external_ref", "currency", "credit_status", "collector", "parent"]


class ContactFilter(django_filters.FilterSet):
    # A plain id on the scoped queryset: another portfolio's customer reads as unknown.
    customer = django_filters.NumberFilter(field_name="customer_id")

    class Meta:
        model = Contact
        fields = ["customer", "is_primary"]


class ExchangeRateFilter(django_filters.FilterSet):
    currency = django_filters.CharFilter(field_name="currency_id")
    quote_currency = django_filters.CharFilter(field_name="quote_currency_id")
    # the two halves of a period, each refused by its own name when out of range
    valid_from_after = BoundedDateFilter(field_name="valid_from", lookup_expr="gte")
    valid_from_before = BoundedDateFilter(field_name="valid_from", lookup_expr="lte")

    class Meta:
        model = ExchangeRate
        fields = ["currency", "quote_currency", "valid_from_after", "valid_from_before"]
