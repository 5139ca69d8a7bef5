"""Dunning pages: runs, their preview, progress and retry queue; policies; stops."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.runs, name="dunning_runs"),
    path("runs/start/", views.run_start, name="dunning_run_start"),
    path("runs/<int:pk>/", views.run_detail, name="dunning_run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="dunning_run_progress"),
    path("runs/<int:pk>/approve/", views.run_approve, name="dunning_run_approve"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="dunning_run_cancel"),
    path("runs/<int:pk>/resume/", views.run_resume, name="dunning_run_resume"),
    path("runs/<int:pk>/letters.pdf", views.run_print, name="dunning_run_print"),
    path(
        "communications/<int:pk>/retry/",
        views.communication_retry,
        name="dunning_communication_retry",
    ),
    path(
        "communications/<int:pk>/document.pdf",
        views.communication_document,
        name="dunning_communication_document",
    ),
    path("policies/", views.policies, name="dunning_policies"),
    path("levels/<int:pk>/", views.level_edit, name="dunning_level_edit"),
]
