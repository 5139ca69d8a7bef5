"""API v1 routes; each app's viewsets live in its own ``api.py``."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import ContactViewSet, CustomerViewSet, ExchangeRateViewSet
from accounts.api_imports import ExchangeRateImportView
from cash.api import cash_urlpatterns
from credit.api import (
    CreditReviewDetailView,
    CreditReviewListView,
    CustomerCreditView,
    LimitRequestDecideView,
    LimitRequestDetailView,
    LimitRequestListView,
    ReviewsDueView,
)
from credit.order_api import (
    OrderCancelView,
    OrderDetailView,
    OrderImportView,
    OrderReceiveView,
)
from disputes.api import DisputeViewSet
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
router.register("exchange-rates", ExchangeRateViewSet, basename="exchangerate")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")
router.register("credit-memos", CreditMemoViewSet, basename="creditmemo")
router.register("applications", ApplicationViewSet, basename="application")
router.register("adjustments", AdjustmentViewSet, basename="adjustment")
router.register("disputes", DisputeViewSet, basename="dispute")

urlpatterns = [
    *router.urls,
    *import_urlpatterns,
    path(
        "imports/exchange-rates/",
        ExchangeRateImportView.as_view(),
        name="import-exchange-rates",
    ),
    *report_urlpatterns,
    *cash_urlpatterns,
    path(
        "customers/<int:pk>/credit/",
        CustomerCreditView.as_view(),
        name="api_customer_credit",
    ),
    path(
        "credit/limit-requests/", LimitRequestListView.as_view(), name="api_credit_limit_requests"
    ),
    path(
        "credit/limit-requests/<int:pk>/",
        LimitRequestDetailView.as_view(),
        name="api_credit_limit_request",
    ),
    path(
        "credit/limit-requests/<int:pk>/decide/",
        LimitRequestDecideView.as_view(),
        name="api_credit_limit_request_decide",
    ),
    path("credit/reviews/", CreditReviewListView.as_view(), name="api_credit_reviews"),
    path("credit/reviews/due/", ReviewsDueView.as_view(), name="api_credit_reviews_due"),
    path("credit/reviews/<int:pk>/", CreditReviewDetailView.as_view(), name="api_credit_review"),
    path("imports/orders/", OrderImportView.as_view(), name="import-orders"),
    path("orders/", OrderReceiveView.as_view(), name="api_orders"),
    path("orders/<str:ref>/", OrderDetailView.as_view(), name="api_order_detail"),
    path("orders/<str:ref>/cancel/", OrderCancelView.as_view(), name="api_order_cancel"),
    path(
        "disputes/<int:pk>/attachments/<int:attachment_id>/",
        DisputeViewSet.as_view({"get": "attachment_download"}),
        name="dispute-attachment-download",
    ),
]
