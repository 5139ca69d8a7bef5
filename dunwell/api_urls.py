"""API v1 routes; each app's viewsets live in its own ``api.py``."""

from rest_framework.routers import DefaultRouter

from accounts.api import ContactViewSet, CustomerViewSet
from invoices.api import (
    AdjustmentViewSet,
    ApplicationViewSet,
    CreditMemoViewSet,
    InvoiceViewSet,
    PaymentViewSet,
)
from invoices.api_imports import import_urlpatterns
from reporting.api import report_urlpatterns

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")
router.register("credit-memos", CreditMemoViewSet, basename="creditmemo")
router.register("applications", ApplicationViewSet, basename="application")
router.register("adjustments", AdjustmentViewSet, basename="adjustment")

urlpatterns = router.urls + import_urlpatterns + report_urlpatterns
