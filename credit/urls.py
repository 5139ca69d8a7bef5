"""Credit pages, under ``/credit/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="credit_inbox"),
    path("customers/<int:pk>/", views.customer_credit, name="credit_customer"),
    path("customers/<int:pk>/status/", views.status_set, name="credit_status_set"),
    path("customers/<int:pk>/limit/", views.limit_set, name="credit_limit_set"),
    path(
        "customers/<int:pk>/escalation/",
        views.escalation_decide,
        name="credit_escalation_decide",
    ),
    path(
        "customers/<int:pk>/limit-request/",
        views.limit_request_decide,
        name="credit_limit_request_decide",
    ),
]
