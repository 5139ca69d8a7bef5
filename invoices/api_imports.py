"""Invoice and payment CSV imports over the API, replay-safe with ``Idempotency-Key``.

``import_urlpatterns`` routes all three imports (customers included) under ``imports/``.
"""

from django.urls import path
from rest_framework.response import Response

from accounts.api_imports import CsvImportView, CustomerImportView, import_schema
from accounts.api_permissions import requires

from .api import IDEMPOTENCY_PARAMETER
from .idempotency import idempotent
from .imports import import_invoices, import_payments


class _IdempotentImportView(CsvImportView):
    """A replay with the same key and file returns the first counts and imports nothing."""

    @import_schema(parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def post(self, request) -> Response:
        return self.run_import(request)


class InvoiceImportView(_IdempotentImportView):
    permission_classes = [requires("invoices.add_invoice")]
    importer = staticmethod(import_invoices)


class PaymentImportView(_IdempotentImportView):
    permission_classes = [requires("invoices.add_payment")]
    importer = staticmethod(import_payments)


import_urlpatterns = [
    path("imports/customers/", CustomerImportView.as_view(), name="import-customers"),
    path("imports/invoices/", InvoiceImportView.as_view(), name="import-invoices"),
    path("imports/payments/", PaymentImportView.as_view(), name="import-payments"),
]
