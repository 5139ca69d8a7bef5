"""The call queue: reads the stored score only (docs/priority-score.md)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import sees_all_portfolios

from .forms import QueueFilterForm
from .selectors import (
    QueueFilters,
    calls_today,
    collectors,
    daily_call_target,
    my_day,
    my_day_count,
    queue_for,
    queue_next,
    reason_lines,
    write_off_candidate,
)

PAGE_SIZE = 50

# Apps above the workflow add a column to the queue (credit: the exposure) without the
# workflow importing them: a hook registered in their AppConfig.ready() gets the page's
# QueueStates and returns (header, {customer_id: {"amount", "currency", "note"}}).
queue_column_hooks: list[Callable[[list], tuple[str, dict[int, dict]]]] = []


def filters_from(request) -> QueueFilters:
    form = QueueFilterForm(request.GET)
    if not form.is_valid():
        return QueueFilters()
    data = form.cleaned_data
    owner = data["owner"] if sees_all_portfolios(request.user) else "mine"
    return QueueFilters(
        owner=owner, bucket=data["bucket"], currency=data["currency"], status=data["status"]
    )


def workspace_url(state, filters: QueueFilters) -> str:
    params = {**filters.as_query(), "from": f"{state.score}:{state.customer_id}"}
    return f"{reverse('customer_detail', args=[state.customer_id])}?{urlencode(params)}"


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def queue(request):
    filters = filters_from(request)
    page = Paginator(queue_for(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    states = list(page.object_list)
    columns = [hook(states) for hook in queue_column_hooks]
    rows = [
        {
            "state": state,
            "extra": [cells.get(state.customer_id) for _, cells in columns],
            "customer": state.customer,
            "reasons": reason_lines(state, today=today),
            "write_off": write_off_candidate(state),
            "url": workspace_url(state, filters),
            "position": page.start_index() + index,
        }
        for index, state in enumerate(states)
    ]
    team = sees_all_portfolios(request.user)
    query = urlencode(filters.as_query())

    return render(
        request,
        "collections_app/queue.html",
        {
            "page": page,
            "rows": rows,
            "extra_headers": [header for header, _ in columns],
            "form": QueueFilterForm(request.GET or None),
            "filters": filters,
            "team": team,
            "collectors": collectors() if team else [],
            "calls_today": calls_today(request.user),
            "call_target": daily_call_target(),
            "query": query,
            "my_day_count": my_day_count(request.user, today=today),
        },
    )


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def my_day_page(request):
    """The collector's own list for today: follow-ups due, promises due, promises broken."""
    today = timezone.localdate()
    return render(
        request,
        "collections_app/my_day.html",
        {"day": my_day(request.user, today=today), "today": today},
    )


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def queue_next_account(request):
    """``n`` in the workspace: the next account of the queue the collector came from."""
    filters = filters_from(request)
    try:
        score_text, id_text = request.GET.get("from", "").split(":")
        score, customer_id = Decimal(score_text), int(id_text)
    except (ValueError, InvalidOperation):
        raise Http404("no queue position") from None
    state = queue_next(request.user, filters, score=score, customer_id=customer_id)
    if state is None:
        return redirect(f"{reverse('queue')}?{urlencode(filters.as_query())}")
    return redirect(workspace_url(state, filters))
