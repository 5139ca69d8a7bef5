from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from invoices.selectors import customer_ledger_summary, invoices_for, payments_for

from . import selectors
from .filters import CustomerFilter


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def customer_list(request):
    filterset = CustomerFilter(request.GET, queryset=selectors.customers_for(request.user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/customer_list.html",
        {"filterset": filterset, "page": page, "query": _query_without_page(request)},
    )


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def customer_detail(request, pk: int):
    customer = selectors.customer_for(request.user, pk)
    return render(
        request,
        "accounts/customer_detail.html",
        {
            "customer": customer,
            "summary": customer_ledger_summary(customer),
            "contacts": customer.contacts.all(),
            "open_invoices": invoices_for(request.user)
            .filter(customer=customer, open_amount__gt=0)
            .order_by("due_date", "id")[:200],
            "payments": payments_for(request.user).filter(customer=customer)[:50],
        },
    )


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
