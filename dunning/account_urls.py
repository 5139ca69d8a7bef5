"""Dunning's actions on the account workspace, under ``/customers/<id>/``."""

from django.urls import path

from . import account_views

urlpatterns = [
    path(
        "<int:pk>/dunning/policy/",
        account_views.dunning_policy,
        name="workspace_dunning_policy",
    ),
    path(
        "<int:pk>/dunning/stop/",
        account_views.dunning_stop,
        name="workspace_dunning_stop",
    ),
    path(
        "<int:pk>/dunning/stop/lift/",
        account_views.dunning_stop_lift,
        name="workspace_dunning_stop_lift",
    ),
    path(
        "<int:pk>/invoices/<int:invoice_id>/dunning-stop/",
        account_views.invoice_dunning_stop,
        name="workspace_invoice_dunning_stop",
    ),
    path(
        "<int:pk>/invoices/<int:invoice_id>/dunning-stop/lift/",
        account_views.invoice_dunning_stop_lift,
        name="workspace_invoice_dunning_stop_lift",
    ),
]
