"""Disputes get lines, a reason table, a workflow and a history (issue 14).

- ``DisputeReason``: the reason codes become a table admins edit, seeded with the codes in
  use plus the ones the issue names (not received, deduction to be coded).
- ``DisputeLine``: each disputed invoice with its own amount. An existing dispute's one
  amount is spread over its invoices the way aging split it (docs/reporting.md): in invoice
  order (due date, id), each taking at most its open amount; what is left (its invoices
  paid since) then goes in the same order up to each invoice's amount, so Σ lines equals
  the dispute's amount and nothing is lost. The old M2M table goes; the M2M now runs
  through the lines.
- ``DisputeEvent``: the history. An existing dispute gets its opening (``opened_at``, by
  ``opened_by``) and, when resolved, its resolution (``resolved_at``).
- Department from the reason, due date = the day opened + the reason's SLA days.
- In the database: the status moves only along ``DISPUTE_TRANSITIONS`` (a trigger; the
  pairs are ``ALLOWED`` below, tests/disputes/test_transitions.py checks they agree), a
  line is never more than its invoice nor in another currency than its dispute, and the
  history is never rewritten (UPDATE refused).
"""

import datetime
from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q

import disputes.models

REASONS = [
    # code, label, department, SLA days
    ("pricing", "Pricing error", "sales", 10),
    ("quantity", "Quantity / short shipment", "shipping", 10),
    ("damaged", "Damaged goods", "shipping", 10),
    ("not_received", "Not received", "shipping", 7),
    ("duplicate", "Duplicate billing", "billing", 5),
    ("tax", "Tax", "billing", 10),
    ("po_missing", "Missing PO", "billing", 5),
    ("quality", "Quality", "quality", 15),
    ("other", "Other", "collections", 10),
    ("deduction", "Deduction — to be coded", "collections", 5),
]

STATUSES = ["open", "in_review", "awaiting_customer", "awaiting_internal", "resolved", "withdrawn"]
_WORKING = ["in_review", "awaiting_customer", "awaiting_internal"]
_CLOSE = ["resolved", "withdrawn"]
ALLOWED = [
    *[("open", to) for to in _WORKING + _CLOSE],
    *[(a, b) for a in _WORKING for b in _WORKING + _CLOSE if a != b],
    ("resolved", "open"),
    ("withdrawn", "open"),
]
_pairs = ", ".join(f"('{a}', '{b}')" for a, b in ALLOWED)

TRIGGERS = [
    f"""
CREATE OR REPLACE FUNCTION disputes_dispute_status_move() RETURNS trigger AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM (VALUES {_pairs}) AS allowed(from_status, to_status)
    WHERE from_status = OLD.status AND to_status = NEW.status
  ) THEN
    RAISE EXCEPTION 'a dispute cannot move from % to %', OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER disputes_dispute_status_move BEFORE UPDATE OF status ON disputes_dispute
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION disputes_dispute_status_move()
""",
    """
CREATE OR REPLACE FUNCTION disputes_disputeline_within_invoice() RETURNS trigger AS $$
DECLARE
  inv RECORD;
BEGIN
  SELECT i.amount, i.currency_id, d.currency_id AS dispute_currency INTO inv
  FROM invoices_invoice i, disputes_dispute d
  WHERE i.id = NEW.invoice_id AND d.id = NEW.dispute_id;
  IF NEW.amount > inv.amount THEN
    RAISE EXCEPTION 'a dispute line of % is more than its invoice (%)', NEW.amount, inv.amount
      USING ERRCODE = 'check_violation';
  END IF;
  IF inv.currency_id <> inv.dispute_currency THEN
    RAISE EXCEPTION 'a dispute line is in the currency of its dispute'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER disputes_disputeline_within_invoice
  BEFORE INSERT OR UPDATE OF amount, invoice_id, dispute_id ON disputes_disputeline
  FOR EACH ROW EXECUTE FUNCTION disputes_disputeline_within_invoice()
""",
    """
CREATE OR REPLACE FUNCTION disputes_disputeevent_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the dispute history is append-only'
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER disputes_disputeevent_append_only BEFORE UPDATE ON disputes_disputeevent
  FOR EACH ROW EXECUTE FUNCTION disputes_disputeevent_append_only()
""",
]
TRIGGERS_BACK = [
    "DROP TRIGGER IF EXISTS disputes_dispute_status_move ON disputes_dispute",
    "DROP FUNCTION IF EXISTS disputes_dispute_status_move()",
    "DROP TRIGGER IF EXISTS disputes_disputeline_within_invoice ON disputes_disputeline",
    "DROP FUNCTION IF EXISTS disputes_disputeline_within_invoice()",
    "DROP TRIGGER IF EXISTS disputes_disputeevent_append_only ON disputes_disputeevent",
    "DROP FUNCTION IF EXISTS disputes_disputeevent_append_only()",
]

IMMEDIATE = "SET CONSTRAINTS ALL IMMEDIATE"
DROP_OLD_M2M = "DROP TABLE disputes_dispute_invoices"
RESTORE_OLD_M2M = [
    """CREATE TABLE disputes_dispute_invoices (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        dispute_id bigint NOT NULL REFERENCES disputes_dispute (id) DEFERRABLE INITIALLY DEFERRED,
        invoice_id bigint NOT NULL REFERENCES invoices_invoice (id) DEFERRABLE INITIALLY DEFERRED,
        UNIQUE (dispute_id, invoice_id))""",
    """INSERT INTO disputes_dispute_invoices (dispute_id, invoice_id)
       SELECT dispute_id, invoice_id FROM disputes_disputeline""",
]


def seed_reasons(apps, schema_editor):
    DisputeReason = apps.get_model("disputes", "DisputeReason")
    for code, label, department, sla_days in REASONS:
        DisputeReason.objects.update_or_create(
            code=code, defaults={"label": label, "department": department, "sla_days": sla_days}
        )


def spread(amount: Decimal, invoices) -> tuple[dict[int, Decimal], Decimal]:
    """The dispute's amount over its invoices: first up to each one's open amount, then
    what is left up to each one's amount, in due-date order. Returns the shares and what
    did not fit (nothing, for a dispute the service opened)."""
    ordered = sorted(invoices, key=lambda i: (i.due_date, i.pk))
    shares = dict.fromkeys((i.pk for i in ordered), Decimal("0.00"))
    left = amount
    for cap in (lambda i: i.open_amount, lambda i: i.amount - shares[i.pk]):
        for invoice in ordered:
            part = max(Decimal("0.00"), min(left, cap(invoice)))
            shares[invoice.pk] += part
            left -= part
    return {pk: share for pk, share in shares.items() if share > 0}, left


def lines_and_history(apps, schema_editor):
    Dispute = apps.get_model("disputes", "Dispute")
    DisputeLine = apps.get_model("disputes", "DisputeLine")
    DisputeEvent = apps.get_model("disputes", "DisputeEvent")
    DisputeReason = apps.get_model("disputes", "DisputeReason")
    reasons = {r.code: r for r in DisputeReason.objects.all()}
    tz = django.utils.timezone.get_default_timezone()
    for dispute in Dispute.objects.prefetch_related("invoices").order_by("pk").iterator(500):
        same_currency = [i for i in dispute.invoices.all() if i.currency_id == dispute.currency_id]
        shares, left = spread(dispute.amount, same_currency)
        DisputeLine.objects.bulk_create(
            DisputeLine(dispute_id=dispute.pk, invoice_id=pk, amount=share)
            for pk, share in shares.items()
        )
        reason = reasons[dispute.reason_id]
        dispute.department = reason.department
        opened_day = dispute.opened_at.astimezone(tz).date()
        dispute.due_date = opened_day + datetime.timedelta(days=reason.sla_days)
        if left:
            dispute.note = (
                f"{dispute.note}\n[migration] {left} of the dispute's amount could not be "
                "placed on its invoices"
            ).strip()
        dispute.save(update_fields=["department", "due_date", "note"])
        DisputeEvent.objects.create(
            dispute_id=dispute.pk,
            kind="opened",
            at=dispute.opened_at,
            actor_id=dispute.opened_by_id,
            status="open",
        )
        if dispute.status == "resolved":
            DisputeEvent.objects.create(
                dispute_id=dispute.pk,
                kind="moved",
                at=dispute.resolved_at,
                from_status="open",
                status="resolved",
                note=dispute.resolution,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_reference_data"),
        ("disputes", "0002_resolution"),
        ("invoices", "0002_applications_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # --- reasons ----------------------------------------------------------------------
        migrations.CreateModel(
            name="DisputeReason",
            fields=[
                ("code", models.CharField(max_length=20, primary_key=True, serialize=False)),
                ("label", models.CharField(max_length=80)),
                (
                    "department",
                    models.CharField(
                        choices=[
                            ("collections", "Collections"),
                            ("sales", "Sales"),
                            ("shipping", "Shipping / logistics"),
                            ("billing", "Billing"),
                            ("quality", "Quality"),
                        ],
                        max_length=20,
                    ),
                ),
                ("sla_days", models.PositiveSmallIntegerField(default=10)),
                ("active", models.BooleanField(default=True)),
            ],
            options={
                "ordering": ["label"],
                "constraints": [
                    models.CheckConstraint(
                        condition=Q(
                            department__in=["collections", "sales", "shipping", "billing", "quality"]
                        ),
                        name="dispute_reason_department",
                    ),
                    models.CheckConstraint(
                        condition=Q(sla_days__gte=1, sla_days__lte=365),
                        name="dispute_reason_sla_days",
                    ),
                ],
            },
        ),
        migrations.RunPython(seed_reasons, migrations.RunPython.noop),
        migrations.AddField(
            model_name="dispute",
            name="reason",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="disputes",
                to="disputes.disputereason",
            ),
        ),
        migrations.RunSQL(
            "UPDATE disputes_dispute SET reason_id = reason_code",
            "UPDATE disputes_dispute SET reason_code = reason_id",
        ),
        migrations.RunSQL(IMMEDIATE, IMMEDIATE),
        # a default only so that going back can re-add the column to existing rows
        migrations.AlterField(
            model_name="dispute",
            name="reason_code",
            field=models.CharField(default="other", max_length=20),
        ),
        migrations.RemoveField(model_name="dispute", name="reason_code"),
        migrations.AlterField(
            model_name="dispute",
            name="reason",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="disputes",
                to="disputes.disputereason",
            ),
        ),
        # --- the record -------------------------------------------------------------------
        migrations.AddField(
            model_name="dispute",
            name="kind",
            field=models.CharField(
                choices=[("dispute", "Dispute"), ("deduction", "Deduction")],
                default="dispute",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="dispute",
            name="raised_via",
            field=models.CharField(
                choices=[
                    ("collector", "Collector"),
                    ("cash_application", "Cash application (short payment)"),
                    ("portal", "Customer portal"),
                ],
                default="collector",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="dispute",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("credit_issued", "Credit issued"),
                    ("no_credit", "No credit — customer to pay"),
                    ("partial_credit", "Partial credit"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="dispute",
            name="department",
            field=models.CharField(
                choices=[
                    ("collections", "Collections"),
                    ("sales", "Sales"),
                    ("shipping", "Shipping / logistics"),
                    ("billing", "Billing"),
                    ("quality", "Quality"),
                ],
                default="collections",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="dispute",
            name="assignee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="dispute",
            name="due_date",
            field=models.DateField(null=True),
        ),
        migrations.AlterField(
            model_name="dispute",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Open"),
                    ("in_review", "In review"),
                    ("awaiting_customer", "Awaiting customer"),
                    ("awaiting_internal", "Awaiting internal"),
                    ("resolved", "Resolved"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="open",
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="DisputeLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=18)),
                ("credited", models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                (
                    "dispute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="disputes.dispute",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dispute_lines",
                        to="invoices.invoice",
                    ),
                ),
            ],
            options={
                "ordering": ["invoice__due_date", "invoice_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("dispute", "invoice"), name="dispute_line_unique"
                    ),
                    models.CheckConstraint(
                        condition=Q(amount__gt=0), name="dispute_line_amount_positive"
                    ),
                    models.CheckConstraint(
                        condition=Q(credited__gte=0, credited__lte=F("amount")),
                        name="dispute_line_credited_within_amount",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DisputeEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("opened", "Opened"),
                            ("moved", "Status changed"),
                            ("assigned", "Assigned"),
                        ],
                        max_length=10,
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "from_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("open", "Open"),
                            ("in_review", "In review"),
                            ("awaiting_customer", "Awaiting customer"),
                            ("awaiting_internal", "Awaiting internal"),
                            ("resolved", "Resolved"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("in_review", "In review"),
                            ("awaiting_customer", "Awaiting customer"),
                            ("awaiting_internal", "Awaiting internal"),
                            ("resolved", "Resolved"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("credit_issued", "Credit issued"),
                            ("no_credit", "No credit — customer to pay"),
                            ("partial_credit", "Partial credit"),
                        ],
                        max_length=20,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "credit_memo",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="invoices.creditmemo",
                    ),
                ),
                (
                    "dispute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="disputes.dispute",
                    ),
                ),
            ],
            options={
                "ordering": ["at", "id"],
                "indexes": [
                    models.Index(fields=["dispute", "at", "id"], name="dispute_event_history")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=Q(status__in=STATUSES), name="dispute_event_status_known"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DisputeComment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("body", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "author",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "dispute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="comments",
                        to="disputes.dispute",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=~Q(body=""), name="dispute_comment_not_empty"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DisputeAttachment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "file",
                    models.FileField(max_length=255, upload_to=disputes.models.attachment_path),
                ),
                ("name", models.CharField(max_length=120)),
                ("content_type", models.CharField(max_length=40)),
                ("size", models.PositiveIntegerField()),
                ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "dispute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attachments",
                        to="disputes.dispute",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["uploaded_at", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=Q(size__gt=0, size__lte=10485760),
                        name="dispute_attachment_size",
                    )
                ],
            },
        ),
        # --- existing disputes: lines, history, department, due date -------------------
        migrations.RunPython(lines_and_history, migrations.RunPython.noop),
        # the rows just written have deferred FK checks; ALTER TABLE refuses to run over them
        migrations.RunSQL(IMMEDIATE, IMMEDIATE),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="dispute",
                    name="invoices",
                    field=models.ManyToManyField(
                        related_name="disputes",
                        through="disputes.DisputeLine",
                        to="invoices.invoice",
                    ),
                ),
            ],
            database_operations=[migrations.RunSQL(DROP_OLD_M2M, RESTORE_OLD_M2M)],
        ),
        migrations.AlterField(
            model_name="dispute",
            name="due_date",
            field=models.DateField(),
        ),
        # --- invariants ---------------------------------------------------------------
        migrations.AddIndex(
            model_name="dispute",
            index=models.Index(fields=["department", "status"], name="dispute_department_status"),
        ),
        migrations.AddConstraint(
            model_name="dispute",
            constraint=models.CheckConstraint(
                condition=Q(status__in=STATUSES), name="dispute_status_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="dispute",
            constraint=models.CheckConstraint(
                condition=Q(
                    department__in=["collections", "sales", "shipping", "billing", "quality"]
                ),
                name="dispute_department_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="dispute",
            constraint=models.CheckConstraint(
                condition=Q(
                    status="resolved",
                    outcome__in=["credit_issued", "no_credit", "partial_credit"],
                )
                | Q(outcome=""),
                name="dispute_outcome_only_when_resolved",
            ),
        ),
        migrations.RunSQL(TRIGGERS, TRIGGERS_BACK),
    ]
