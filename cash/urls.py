"""Finance's cash pages, under ``/cash/``."""

from django.urls import path

from . import import_views, refund_views, views

urlpatterns = [
    path("", views.index, name="cash_index"),
    path("unapplied/", views.unapplied, name="cash_unapplied"),
    path("payments/new/", views.payment_new, name="cash_payment_new"),
    path("payments/<int:pk>/", views.payment_apply, name="cash_payment_apply"),
    path("payments/<int:pk>/void/", views.payment_void, name="cash_payment_void"),
    path("payments/<int:pk>/short/", views.payment_short, name="cash_payment_short"),
    path(
        "payments/<int:pk>/unidentified/",
        views.payment_unidentified,
        name="cash_payment_unidentified",
    ),
    path("credit-memos/new/", views.credit_memo_new, name="cash_credit_memo_new"),
    path("credit-memos/<int:pk>/", views.credit_memo_apply, name="cash_credit_memo_apply"),
    path(
        "applications/<int:pk>/reverse/",
        views.application_reverse,
        name="cash_application_reverse",
    ),
    path("invoices/<int:pk>/write-off/", views.write_off, name="cash_write_off"),
    path("write-offs/", views.write_offs, name="cash_write_offs"),
    path("write-offs/<int:pk>/decide/", views.write_off_decide, name="cash_write_off_decide"),
    path(
        "payments/<int:pk>/refund/",
        refund_views.refund,
        {"target": "payment"},
        name="cash_payment_refund",
    ),
    path(
        "credit-memos/<int:pk>/refund/",
        refund_views.refund,
        {"target": "credit_memo"},
        name="cash_credit_memo_refund",
    ),
    path(
        "invoices/<int:pk>/contra/",
        refund_views.refund,
        {"target": "invoice"},
        name="cash_invoice_contra",
    ),
    path("refunds/", refund_views.refunds, name="cash_refunds"),
    path("refunds/<int:pk>/decide/", refund_views.refund_decide, name="cash_refund_decide"),
    path("refunds/<int:pk>/reverse/", refund_views.refund_reverse, name="cash_refund_reverse"),
    path("imports/", import_views.imports, name="cash_imports"),
    path("imports/csv-mappings/", import_views.csv_mappings, name="cash_csv_mappings"),
    path("imports/csv-mappings/<int:pk>/", import_views.csv_mappings, name="cash_csv_mapping_edit"),
    path("imports/<int:pk>/", import_views.import_detail, name="cash_import_detail"),
    path("imports/csv/", import_views.csv_imports, name="cash_csv_imports"),
    path("imports/csv/<int:pk>/", import_views.csv_import_detail, name="cash_csv_import_detail"),
    path(
        "bank-transactions/<int:pk>/assign/",
        import_views.transaction_assign,
        name="cash_transaction_assign",
    ),
]
