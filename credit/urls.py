"""Credit pages, under ``/credit/``."""

from django.urls import path

from . import order_views, views

urlpatterns = [
    path("", views.inbox, name="credit_inbox"),
    path("applications/", views.applications, name="credit_applications"),
    path("applications/<int:pk>/", views.application_page, name="credit_application"),
    path("applications/<int:pk>/pdf/", views.application_pdf_view, name="credit_application_pdf"),
    path("rules/", views.hold_rules, name="credit_hold_rules"),
    path("rules/<int:pk>/", views.hold_rules, name="credit_hold_rule"),
    path("rule-hits/<int:pk>/noted/", views.rule_hit_noted, name="credit_rule_hit_noted"),
    path("customers/<int:pk>/", views.customer_credit, name="credit_customer"),
    path("customers/<int:pk>/status/", views.status_set, name="credit_status_set"),
    path("customers/<int:pk>/limit/", views.limit_set, name="credit_limit_set"),
    path("customers/<int:pk>/review/", views.review_record, name="credit_review_record"),
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
    path("releases/", order_views.releases, name="credit_releases"),
    path("releases/bulk/", order_views.releases_bulk, name="credit_releases_bulk"),
    path("orders/<int:pk>/", order_views.order_page, name="credit_order"),
    path("orders/<int:pk>/release/", order_views.order_release, name="credit_order_release"),
    path("orders/<int:pk>/reject/", order_views.order_reject, name="credit_order_reject"),
    path("orders/<int:pk>/forward/", order_views.order_forward, name="credit_order_forward"),
    path("orders/<int:pk>/recheck/", order_views.order_recheck, name="credit_order_recheck"),
]
