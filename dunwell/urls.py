from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.auth_views import SecondFactorLoginView
from collections_app import queue_views, team_views, views, workspace_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path(
        "login/",
        SecondFactorLoginView.as_view(),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # A forgotten password, reset by e-mail (Django's views; the link is valid for
    # PASSWORD_RESET_TIMEOUT and only for an active user with a usable password).
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:pk>/", workspace_views.workspace, name="customer_detail"),
    path("customers/<int:pk>/timeline/", workspace_views.timeline_page, name="workspace_timeline"),
    path("customers/<int:pk>/items/", workspace_views.items_page, name="workspace_items"),
    path("customers/<int:pk>/statement.pdf", workspace_views.statement, name="workspace_statement"),
    path("customers/<int:pk>/calls/", workspace_views.call_log, name="workspace_call"),
    path("customers/<int:pk>/promises/", workspace_views.promise_record, name="workspace_promise"),
    path(
        "customers/<int:pk>/payment-plans/",
        workspace_views.payment_plan_agree,
        name="workspace_payment_plan",
    ),
    path(
        "customers/<int:pk>/payment-plans/<int:plan_id>/cancel/",
        workspace_views.payment_plan_cancel,
        name="workspace_payment_plan_cancel",
    ),
    path(
        "customers/<int:pk>/follow-ups/",
        workspace_views.follow_up_schedule,
        name="workspace_follow_up",
    ),
    path("customers/<int:pk>/emails/", workspace_views.email_send, name="workspace_email"),
    path(
        "customers/<int:pk>/emails/status/",
        workspace_views.email_status,
        name="workspace_email_status",
    ),
    path("customers/<int:pk>/disputes/", workspace_views.dispute_raise, name="workspace_dispute"),
    path("customers/<int:pk>/escalations/", workspace_views.escalate, name="workspace_escalate"),
    path("customers/<int:pk>/contacts/", workspace_views.contact_add, name="workspace_contact_add"),
    path(
        "customers/<int:pk>/contacts/<int:contact_id>/",
        workspace_views.contact_update,
        name="workspace_contact_update",
    ),
    path(
        "customers/<int:pk>/billing-address/",
        workspace_views.billing_address_update,
        name="workspace_billing_address",
    ),
    path(
        "customers/<int:pk>/follow-ups/<int:follow_up_id>/done/",
        workspace_views.follow_up_done,
        name="workspace_follow_up_done",
    ),
    path(
        "customers/<int:pk>/promises/<int:promise_id>/cancel/",
        workspace_views.promise_cancel,
        name="workspace_promise_cancel",
    ),
    path(
        "customers/<int:pk>/escalations/<int:escalation_id>/resolve/",
        workspace_views.escalation_resolve,
        name="workspace_escalation_resolve",
    ),
    path(
        "customers/<int:pk>/disputes/<int:dispute_id>/resolve/",
        workspace_views.dispute_close_action,
        name="workspace_dispute_resolve",
    ),
    path(
        "activities/<int:pk>/document/", workspace_views.activity_document, name="activity_document"
    ),
    path("queue/", queue_views.queue, name="queue"),
    path("queue/next/", queue_views.queue_next_account, name="queue_next"),
    path("queue/my-day/", queue_views.my_day_page, name="my_day"),
    path("team/", team_views.team, name="team"),
    path("team/reassign/", team_views.reassign, name="team_reassign"),
    path("customers/", include("dunning.account_urls")),
    path("dunning/", include("dunning.urls")),
    path("credit/", include("credit.urls")),
    path("cash/", include("cash.urls")),
    path("disputes/", include("disputes.urls")),
    path("dunning/templates/", include("dunning.template_urls")),
    path("", include("invoices.urls")),
    path("", include("reporting.urls")),
    # The admin signs in through the site's login page, so its second factor (accounts/
    # auth_views.py) cannot be skipped by the admin's own password-only form.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("dunwell.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
