"""Reads behind the dunning pages: runs with their counts, a run's preview page by page, its
progress and retry queue, the policies, and one account's dunning state.

Runs cover every portfolio, so their pages are for the team view only (``views.py`` checks
it); the account panel reads one customer already reached through ``workspace_customer``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Customer

from .models import (
    CommunicationStatus,
    DunningChannel,
    DunningCommunication,
    DunningLevel,
    DunningLine,
    DunningPolicy,
    DunningProfile,
    DunningRun,
    DunningRunStatus,
    DunningSkip,
    DunningTemplate,
    SkipReason,
)

STATUS_ORDER = [
    CommunicationStatus.PLANNED,
    CommunicationStatus.QUEUED,
    CommunicationStatus.SENDING,
    CommunicationStatus.SENT,
    CommunicationStatus.FAILED,
    CommunicationStatus.CANCELLED,
]


def _count(queryset: QuerySet, field: str) -> Coalesce:
    """A correlated count: one per run, without multiplying joins."""
    return Coalesce(
        Subquery(
            queryset.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def dunning_runs() -> QuerySet[DunningRun]:
    """Every run, newest first, with its communications counted by status and its skips."""
    comms = DunningCommunication.objects.all()
    counts = {f"n_{status}": _count(comms.filter(status=status), "run") for status in STATUS_ORDER}
    return (
        DunningRun.objects.select_related("created_by", "approved_by")
        .annotate(n_skips=_count(DunningSkip.objects.all(), "run"), **counts)
        .order_by("-created_at", "-id")
    )


def run_get(pk: int) -> DunningRun:
    return get_object_or_404(DunningRun.objects.select_related("created_by", "approved_by"), pk=pk)


@dataclass(frozen=True)
class Progress:
    counts: dict[str, int]
    total: int
    finished: int  # sent, failed or cancelled: nothing more will happen on its own

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.finished * 100 // self.total

    @property
    def rows(self) -> list[tuple[str, str, int]]:
        return [(s.value, s.label, self.counts.get(s.value, 0)) for s in STATUS_ORDER]


def run_progress(run: DunningRun) -> Progress:
    """One grouped count over the run's communications (the run/status index)."""
    counts = dict(
        run.communications.order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    total = sum(counts.values())
    finished = sum(
        counts.get(s, 0)
        for s in (
            CommunicationStatus.SENT,
            CommunicationStatus.FAILED,
            CommunicationStatus.CANCELLED,
        )
    )
    return Progress(counts, total, finished)


@dataclass(frozen=True)
class ApprovalSummary:
    """What approving a preview sends: counts by level and channel, amounts per currency."""

    rows: list[tuple[int, str, str, int]]  # level number, level name, channel label, count
    total: int
    amounts: list[tuple[str, Decimal]]  # currency, overdue amount the letters dun
    interest: list[tuple[str, Decimal]]  # currency, interest shown on the letters
    compensation: list[tuple[str, Decimal]]  # currency, fixed compensation shown
    skipped: int


def approval_summary(run: DunningRun) -> ApprovalSummary:
    planned = run.communications.filter(status=CommunicationStatus.PLANNED)
    channels = dict(DunningChannel.choices)
    rows = [
        (number, name, channels.get(channel, channel), n)
        for number, name, channel, n in planned.order_by()
        .values("level__number", "level__name", "channel")
        .annotate(n=Count("pk"))
        .order_by("level__number", "channel")
        .values_list("level__number", "level__name", "channel", "n")
    ]
    lines = DunningLine.objects.filter(communication__in=planned, informational=False)
    per_currency = list(
        lines.order_by()
        .values("currency_id")
        .annotate(
            total=Sum("open_amount"),
            interest=Sum("interest_amount"),
            compensation=Sum("compensation_amount"),
        )
        .order_by("currency_id")
        .values_list("currency_id", "total", "interest", "compensation")
    )
    return ApprovalSummary(
        rows=rows,
        total=sum(n for *_rest, n in rows),
        amounts=[(code, total) for code, total, *_charges in per_currency],
        interest=[(code, interest) for code, _total, interest, _c in per_currency if interest],
        compensation=[(code, comp) for code, _total, _i, comp in per_currency if comp],
        skipped=run.skips.count(),
    )


def catch_up_policies() -> list[str]:
    """Policies that start invoices at the highest level their age allows: the preview warns."""
    return list(
        DunningPolicy.objects.filter(catch_up=True).order_by("name").values_list("name", flat=True)
    )


def run_stalled(run: DunningRun) -> bool:
    """A sending run with communications still queued or sending and nothing sent for
    ``DUNNING_STALLED_MINUTES``: its broker may have lost the messages, and "Resume sending"
    is the way out. A run that is moving along is left alone."""
    if run.status != DunningRunStatus.SENDING:
        return False
    pending = run.communications.filter(
        status__in=[CommunicationStatus.QUEUED, CommunicationStatus.SENDING]
    )
    if not pending.exists():
        return False
    last_sent = run.communications.aggregate(last=Max("sent_at"))["last"]
    last_progress = max(filter(None, [last_sent, run.approved_at]), default=None)
    quiet = datetime.timedelta(minutes=settings.DUNNING_STALLED_MINUTES)
    return last_progress is None or timezone.now() - last_progress >= quiet


@dataclass(frozen=True)
class PreviewFilters:
    level: str = ""  # a level number
    channel: str = ""
    reason: str = ""  # a skip reason

    @classmethod
    def from_query(cls, query) -> PreviewFilters:
        level = query.get("level", "")
        channel = query.get("channel", "")
        reason = query.get("reason", "")
        return cls(
            level=level if level.isdigit() else "",
            channel=channel if channel in DunningChannel.values else "",
            reason=reason if reason in SkipReason.values else "",
        )

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def run_communications(run: DunningRun, filters: PreviewFilters) -> QuerySet[DunningCommunication]:
    rows = run.communications.select_related("customer", "level", "contact")
    if filters.level:
        rows = rows.filter(level__number=int(filters.level))
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    return rows.order_by("customer__name", "pk")


def with_lines(communications) -> list[DunningCommunication]:
    """Attach each communication's lines grouped by currency with a total per currency:
    one query for the whole page."""
    communications = list(communications)
    lines = DunningLine.objects.filter(communication__in=communications).select_related("invoice")
    by_comm: dict[int, list[DunningLine]] = defaultdict(list)
    for line in lines.order_by("currency_id", "invoice__due_date", "invoice_id"):
        by_comm[line.communication_id].append(line)
    for comm in communications:
        groups: dict[str, dict] = {}
        for line in by_comm.get(comm.pk, []):
            group = groups.setdefault(
                line.currency_id, {"currency": line.currency_id, "lines": [], "total": Decimal(0)}
            )
            group["lines"].append(line)
            if not line.informational:  # listed on the letter, not dunned
                group["total"] += line.open_amount
        comm.groups = list(groups.values())
        comm.line_count = len(by_comm.get(comm.pk, []))
        comm.moving = sum(
            1
            for line in by_comm.get(comm.pk, [])
            if not line.informational and line.level_number != line.previous_level_number
        )
        comm.recipient = _recipient(comm)
    return communications


def _recipient(comm: DunningCommunication) -> list[str]:
    if comm.channel == DunningChannel.EMAIL:
        name = comm.contact.name if comm.contact else ""
        return [f"{name} <{comm.to_address}>" if name else comm.to_address]
    if comm.channel == DunningChannel.LETTER:
        return [line for line in comm.customer.billing_address.splitlines() if line.strip()]
    collector = comm.customer.assigned_collector_id
    return ["the account's collector" if collector else "the credit manager"]


def run_levels(run: DunningRun) -> list[tuple[int, str, int]]:
    """(number, name, communications) of the levels this run uses, for the filter."""
    return list(
        run.communications.order_by()
        .values("level__number", "level__name")
        .annotate(n=Count("pk"))
        .order_by("level__number")
        .values_list("level__number", "level__name", "n")
    )


def run_skip_reasons(run: DunningRun) -> list[tuple[str, str, int]]:
    """(reason, label, skips) for every reason the run skipped someone for."""
    labels = dict(SkipReason.choices)
    rows = (
        run.skips.order_by()
        .values("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")
        .values_list("reason", "n")
    )
    return [(reason, labels.get(reason, reason), n) for reason, n in rows]


def run_skips(run: DunningRun, filters: PreviewFilters) -> QuerySet[DunningSkip]:
    rows = run.skips.select_related("customer", "invoice")
    if filters.reason:
        rows = rows.filter(reason=filters.reason)
    return rows.order_by("reason", "customer__name", "customer_id", "invoice__number", "pk")


def retry_queue(run: DunningRun) -> QuerySet[DunningCommunication]:
    return (
        run.communications.filter(status=CommunicationStatus.FAILED)
        .select_related("customer", "level", "contact")
        .order_by("customer__name", "pk")
    )


def communication_get(pk: int) -> DunningCommunication:
    return get_object_or_404(
        DunningCommunication.objects.select_related("run", "customer", "level"), pk=pk
    )


# --- policies ----------------------------------------------------------------------------


def policies_with_levels() -> list[DunningPolicy]:
    return list(
        DunningPolicy.objects.prefetch_related(
            Prefetch("levels", queryset=DunningLevel.objects.order_by("number"))
        ).order_by("-is_default", "name")
    )


def template_codes() -> list[tuple[str, str]]:
    """(code, name) of every template, once per code (its languages are variants), named
    as in the default language where there is one."""
    names: dict[str, str] = {}
    for code, language, name in DunningTemplate.objects.order_by("code", "language").values_list(
        "code", "language", "name"
    ):
        if code not in names or language == settings.DUNNING_LANGUAGE:
            names[code] = name
    return list(names.items())


def level_get(pk: int) -> DunningLevel:
    return get_object_or_404(DunningLevel.objects.select_related("policy"), pk=pk)


# --- one account ---------------------------------------------------------------------------


@dataclass
class AccountDunning:
    profile: DunningProfile | None
    policy: DunningPolicy | None  # the one in force: the customer's own, else the default
    policies: list[DunningPolicy]
    languages: list[str]


def account_dunning(customer: Customer) -> AccountDunning:
    """Three queries: the profile, the policies, the template languages."""
    profile = DunningProfile.objects.filter(customer=customer).first()
    policies = list(DunningPolicy.objects.order_by("-is_default", "name"))
    own = profile.policy_id if profile else None
    policy = next(
        (p for p in policies if (p.pk == own if own else p.is_default)),
        None,
    )
    languages = sorted(
        set(DunningTemplate.objects.values_list("language", flat=True).distinct())
        | {profile.language if profile else "en"}
    )
    return AccountDunning(profile, policy, policies, languages)
