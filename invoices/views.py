from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from . import selectors
from .filters import InvoiceFilter, PaymentFilter


@login_required
@permission_required("invoices.view_invoice", raise_exception=True)
def invoice_list(request):
    filterset = InvoiceFilter(request.GET, queryset=selectors.invoices_for(request.user))
    page = Paginator(filterset.qs.order_by("due_date", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "invoices/invoice_list.html", {"filterset": filterset, "page": page})


@login_required
@permission_required("invoices.view_invoice", raise_exception=True)
def invoice_detail(request, pk: int):
    invoice = get_object_or_404(selectors.invoices_for(request.user), pk=pk)
    return render(
        request,
        "invoices/invoice_detail.html",
        {
            "invoice": invoice,
            "applications": selectors.applications_for(request.user).filter(invoice=invoice),
            "adjustments": invoice.adjustments.all(),
        },
    )


@login_required
@permission_required("invoices.view_payment", raise_exception=True)
def payment_list(request):
    filterset = PaymentFilter(request.GET, queryset=selectors.payments_for(request.user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "invoices/payment_list.html", {"filterset": filterset, "page": page})


@login_required
@permission_required("invoices.view_payment", raise_exception=True)
def payment_detail(request, pk: int):
    payment = get_object_or_404(selectors.payments_for(request.user), pk=pk)
    return render(
        request,
        "invoices/payment_detail.html",
        {
            "payment": payment,
            "applications": selectors.applications_for(request.user).filter(payment=payment),
        },
    )
