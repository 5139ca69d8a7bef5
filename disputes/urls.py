from django.urls import path

from . import views

urlpatterns = [
    path("", views.dispute_list, name="dispute_list"),
    path("reports/", views.dispute_report, name="dispute_report"),
    path("assign/", views.dispute_bulk_assign, name="dispute_bulk_assign"),
    path("<int:pk>/", views.dispute_detail, name="dispute"),
    path("<int:pk>/move/", views.dispute_move, name="dispute_move"),
    path("<int:pk>/assign/", views.dispute_assign, name="dispute_assign"),
    path("<int:pk>/propose/", views.dispute_propose, name="dispute_propose"),
    path(
        "<int:pk>/proposals/<int:proposal_id>/decide/",
        views.proposal_decide,
        name="dispute_proposal_decide",
    ),
    path("<int:pk>/comments/", views.dispute_comment, name="dispute_comment"),
    path("<int:pk>/attachments/", views.dispute_attach, name="dispute_attach"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="dispute_attachment",
    ),
]
