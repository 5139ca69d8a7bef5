"""Bank files on the cash pages: upload, progress, history, the per-row error report, and
posting an unidentified credit to the customer finance found for it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError
from accounts.roles import CASH_VIEW, CASH_WORK
from accounts.selectors import customers_for
from accounts.uploads import size_checked_while_streaming

from . import selectors, services
from .csv_import_forms import CsvImportForm
from .forms import BankFileForm, CsvMappingForm
from .models import CsvImport, ImportStatus
from .services.csv_imports import KIND_PERMISSIONS
from .views import _require


@login_required
@size_checked_while_streaming("CASH_IMPORT_MAX_BYTES")
def imports(request):
    _require(request, CASH_VIEW)
    status = 200
    form = BankFileForm()
    if request.method == "POST":
        _require(request, CASH_WORK)
        form = BankFileForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.CASH_IMPORT_MAX_BYTES:
                form.add_error(
                    "file",
                    f"the file is {upload.size:,} bytes; at most "
                    f"{settings.CASH_IMPORT_MAX_BYTES:,} are accepted",
                )
            else:
                try:
                    bank_import = services.bank_import_upload(
                        actor=request.user,
                        file_name=upload.name,
                        content=upload.read(),
                        csv_mapping=form.cleaned_data.get("csv_mapping"),
                    )
                except ServiceError as error:
                    form.add_error("file", error.message)
                else:
                    return redirect("cash_import_detail", pk=bank_import.pk)
        status = 400
    return render(
        request,
        "cash/imports.html",
        {
            "form": form,
            "history": selectors.bank_imports()[:50],
            "debits": selectors.bank_debits()[:50],
            "can_work": request.user.has_perm(CASH_WORK),
        },
        status=status,
    )


@login_required
def import_detail(request, pk: int):
    _require(request, CASH_VIEW)
    bank_import = get_object_or_404(selectors.bank_imports(), pk=pk)
    context = {
        "job": bank_import,
        "running": bank_import.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        "transactions": selectors.bank_import_rows(bank_import),
    }
    if request.htmx:
        return render(request, "cash/_import_progress.html", context)
    return render(request, "cash/import_detail.html", context)


@require_POST
@login_required
def transaction_assign(request, pk: int):
    _require(request, CASH_WORK)
    bank_transaction = selectors.bank_transaction_for(pk)
    ref = (request.POST.get("customer") or "").strip()
    customer = customers_for(request.user).filter(external_ref__iexact=ref).first()
    if customer is None:
        messages.error(request, f"No customer with the reference {ref!r}: nothing was posted.")
        return redirect("cash_unapplied")
    try:
        payment = services.bank_transaction_assign(
            actor=request.user, bank_transaction=bank_transaction, customer=customer
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("cash_unapplied")
    messages.success(request, f"Posted {payment.reference} to {customer.name}.")
    return redirect("cash_payment_apply", pk=payment.pk)


@login_required
def csv_mappings(request, pk: int | None = None):
    """The saved CSV column mappings, one per bank, and the form to add or change one."""
    _require(request, CASH_VIEW)
    instance = selectors.csv_mapping(pk) if pk else None
    form = CsvMappingForm(instance=instance)
    status = 200
    if request.method == "POST":
        _require(request, CASH_WORK)
        form = CsvMappingForm(request.POST, instance=instance)
        if form.is_valid():
            try:
                mapping = services.csv_mapping_save(
                    actor=request.user, mapping=form.save(commit=False)
                )
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"Saved the CSV mapping {mapping.name}.")
                return redirect("cash_csv_mappings")
        status = 400
    return render(
        request,
        "cash/csv_mappings.html",
        {
            "form": form,
            "editing": instance,
            "mappings": selectors.csv_mappings(),
            "can_work": request.user.has_perm(CASH_WORK),
        },
        status=status,
    )


@login_required
@size_checked_while_streaming("IMPORT_MAX_BYTES")
def csv_imports(request):
    """Customers, invoices and payments CSVs: upload (stored, then imported by a task) and the
    history of imports. Finance and admins only: the page writes to the ledger."""
    _require(request, CASH_WORK)
    form = CsvImportForm()
    status = 200
    if request.method == "POST":
        form = CsvImportForm(request.POST, request.FILES)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            if not request.user.has_perm(KIND_PERMISSIONS[kind]):
                raise PermissionDenied
            try:
                job = services.csv_import_upload(
                    actor=request.user, kind=kind, upload=form.cleaned_data["file"]
                )
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                return redirect("cash_csv_import_detail", pk=job.pk)
        status = 400
    history = CsvImport.objects.select_related("uploaded_by")[:50]
    return render(
        request, "cash/imports_csv.html", {"form": form, "history": history}, status=status
    )


@login_required
def csv_import_detail(request, pk: int):
    """One CSV import: the progress bar while it runs (htmx polls this), then its result."""
    _require(request, CASH_WORK)
    job = get_object_or_404(CsvImport.objects.select_related("uploaded_by"), pk=pk)
    if request.htmx:
        return render(request, "cash/imports_csv_progress.html", {"job": job})
    return render(request, "cash/imports_csv_detail.html", {"job": job})
