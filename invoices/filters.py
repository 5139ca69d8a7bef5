import django_filters

from accounts.date_range import BoundedDateFilter

from .models import Adjustment, Application, CreditMemo, Invoice, Payment

# Records are filtered by plain id on a queryset already scoped to the user, so another
# portfolio's id answers like an unknown one (a model choice would say "not a valid choice"
# only for ids that do not exist, and so tell which ones do).


def _id_filter(field_name: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(field_name=field_name)


class InvoiceFilter(django_filters.FilterSet):
    customer = _id_filter("customer_id")
    customer_ref = django_filters.CharFilter(field_name="customer__external_ref")
    currency = django_filters.CharFilter(field_name="currency_id")
    is_open = django_filters.BooleanFilter(method="filter_is_open")
    due_before = BoundedDateFilter(field_name="due_date", lookup_expr="lte")
    due_after = BoundedDateFilter(field_name="due_date", lookup_expr="gte")
    issued_before = BoundedDateFilter(field_name="issue_date", lookup_expr="lte")
    issued_after = BoundedDateFilter(field_name="issue_date", lookup_expr="gte")

    class Meta:
        model = Invoice
        fields = ["customer", "number", "po_number"]

    def filter_is_open(self, queryset, name, value):
        return queryset.filter(open_amount__gt=0) if value else queryset.filter(open_amount=0)


class PaymentFilter(django_filters.FilterSet):
    customer = _id_filter("customer_id")
    customer_ref = django_filters.CharFilter(field_name="customer__external_ref")
    currency = django_filters.CharFilter(field_name="currency_id")
    has_unapplied = django_filters.BooleanFilter(method="filter_has_unapplied")
    received_before = BoundedDateFilter(field_name="received_date", lookup_expr="lte")
    received_after = BoundedDateFilter(field_name="received_date", lookup_expr="gte")

    class Meta:
        model = Payment
        fields = ["customer", "reference"]

    def filter_has_unapplied(self, queryset, name, value):
        if value:
            return queryset.filter(unapplied_amount__gt=0)
        return queryset.filter(unapplied_amount=0)


class ApplicationFilter(django_filters.FilterSet):
    invoice = _id_filter("invoice_id")
    payment = _id_filter("payment_id")
    credit_memo = _id_filter("credit_memo_id")
    effective_before = BoundedDateFilter(field_name="effective_date", lookup_expr="lte")
    effective_after = BoundedDateFilter(field_name="effective_date", lookup_expr="gte")
    is_reversal = django_filters.BooleanFilter(
        field_name="reverses", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Application
        fields = ["invoice", "payment", "credit_memo"]


class CreditMemoFilter(django_filters.FilterSet):
    customer = _id_filter("customer_id")

    class Meta:
        model = CreditMemo
        fields = ["customer", "number"]


class AdjustmentFilter(django_filters.FilterSet):
    invoice = _id_filter("invoice_id")

    class Meta:
        model = Adjustment
        fields = ["invoice", "kind"]
