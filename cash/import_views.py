"""Bank files on the cash pages: upload, progress, history, the per-row error report, and
posting an unidentified credit to the customer finance found for it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.errors import ServiceError
from accounts.roles import CASH_VIEW, CASH_WORK
from accounts.selectors import customers_for

from . import selectors, services
from .forms import BankFileForm
from .models import BankTransaction, ImportStatus
from .views import _require


@login_required
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
                        actor=request.user, file_name=upload.name, content=upload.read()
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
        "transactions": bank_import.transactions.select_related(
            "currency", "payment", "customer", "returns_payment"
        ).order_by("line", "id"),
    }
    if request.htmx:
        return render(request, "cash/_import_progress.html", context)
    return render(request, "cash/import_detail.html", context)


@require_POST
@login_required
def transaction_assign(request, pk: int):
    _require(request, CASH_WORK)
    bank_transaction = get_object_or_404(BankTransaction, pk=pk)
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
