"""Dunning template editor with its sandboxed live preview (admins)."""

from django.urls import path

from . import template_views

urlpatterns = [
    path("", template_views.template_list, name="dunning_template_list"),
    path("<int:pk>/", template_views.template_edit, name="dunning_template_edit"),
    path("<int:pk>/preview/", template_views.template_preview, name="dunning_template_preview"),
    path(
        "<int:pk>/preview.pdf",
        template_views.template_preview_pdf,
        name="dunning_template_preview_pdf",
    ),
    path(
        "<int:pk>/variants/",
        template_views.template_variant_create,
        name="dunning_template_variant_create",
    ),
]
