from django.urls import path

from . import views

urlpatterns = [
    path("reports/aging/", views.aging_page, name="aging"),
    path("reports/exports/", views.export_create, name="export_create"),
    path("reports/exports/<int:pk>/", views.export_status, name="export_status"),
    path("reports/exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
