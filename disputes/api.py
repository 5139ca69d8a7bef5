"""API v1 for disputes (docs/disputes.md): ``/api/v1/disputes/`` — list with the page's
filters, create (``Idempotency-Key``), detail, and the page's actions: transition, assign,
comments, attachments (upload and download). Everything goes through ``services`` and is
scoped by ``selectors.disputes_for``: a dispute out of reach is a 404 on every route."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from accounts.api_fields import MoneyField, MoneyModelSerializer
from accounts.selectors import customers_for
from invoices.api import IDEMPOTENCY_PARAMETER
from invoices.idempotency import idempotent

from . import selectors, services
from .filters import DisputeApiFilter
from .models import (
    CREDIT_OUTCOMES,
    Department,
    Dispute,
    DisputeAttachment,
    DisputeComment,
    DisputeEvent,
    DisputeLine,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
)
from .reports import report_figures

WORK = "disputes.change_dispute"


class DisputePermissions(BasePermission):
    """Reading: whoever sees disputes (their reach decides which); creating: a collector's
    ``add_dispute``; every other write: ``change_dispute`` (a resolver's too)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not (user.has_perm(selectors.DISPUTE_VIEW) or user.has_perm(selectors.DISPUTE_ROUTED)):
            return False
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) == "create":
            return user.has_perm("disputes.add_dispute")
        return user.has_perm(WORK)


class DisputeLineSerializer(MoneyModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = DisputeLine
        fields = ["invoice", "invoice_number", "amount", "credited"]
        read_only_fields = fields


class DisputeSerializer(MoneyModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    reason = serializers.CharField(source="reason_id", read_only=True)
    reason_label = serializers.CharField(source="reason.label", read_only=True)
    assignee_username = serializers.CharField(
        source="assignee.username", read_only=True, default=None, allow_null=True
    )
    sla_state = serializers.SerializerMethodField(
        help_text="breached: still open past its due date; within; closed: resolved or withdrawn"
    )
    lines = DisputeLineSerializer(many=True, read_only=True)
    outcome = serializers.ChoiceField(
        choices=DisputeOutcome.choices,
        allow_blank=True,
        read_only=True,
        help_text="Blank until resolved.",
    )

    class Meta:
        model = Dispute
        fields = [
            "id",
            "customer",
            "customer_name",
            "amount",
            "currency",
            "kind",
            "reason",
            "reason_label",
            "raised_via",
            "note",
            "status",
            "outcome",
            "resolution",
            "department",
            "assignee",
            "assignee_username",
            "due_date",
            "sla_state",
            "opened_by",
            "opened_at",
            "resolved_at",
            "lines",
        ]
        read_only_fields = fields

    def get_sla_state(self, dispute) -> str:
        if not dispute.is_active:
            return "closed"
        return "breached" if dispute.overdue else "within"


class DisputeEventSerializer(serializers.ModelSerializer):
    actor_username = serializers.CharField(
        source="actor.username", read_only=True, default=None, allow_null=True
    )
    credit_memo_number = serializers.CharField(
        source="credit_memo.number", read_only=True, default=None, allow_null=True
    )
    # blank where the event has none: the opening has no status before it, a move no outcome
    from_status = serializers.ChoiceField(
        choices=DisputeStatus.choices, allow_blank=True, read_only=True
    )
    outcome = serializers.ChoiceField(
        choices=DisputeOutcome.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = DisputeEvent
        fields = [
            "kind",
            "at",
            "actor",
            "actor_username",
            "from_status",
            "status",
            "outcome",
            "note",
            "credit_memo",
            "credit_memo_number",
        ]
        read_only_fields = fields


class DisputeCommentSerializer(serializers.ModelSerializer):
    author_username = serializers.CharField(
        source="author.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = DisputeComment
        fields = ["id", "author", "author_username", "body", "created_at"]
        read_only_fields = ["id", "author", "author_username", "created_at"]


class DisputeAttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DisputeAttachment
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        path = reverse(
            "dispute-attachment-download",
            kwargs={"pk": attachment.dispute_id, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DisputeDetailSerializer(DisputeSerializer):
    events = DisputeEventSerializer(many=True, read_only=True)
    comments = DisputeCommentSerializer(many=True, read_only=True)
    attachments = DisputeAttachmentSerializer(many=True, read_only=True)

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "events", "comments", "attachments"]
        read_only_fields = fields


class LineInSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(min_value=1)
    amount = MoneyField()


class DisputeCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Dispute.objects.none())
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=DisputeReason.objects.filter(active=True)
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    lines = LineInSerializer(
        many=True, required=False, help_text="Each invoice with its own disputed amount."
    )
    invoices = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Invoice ids; with ``amount`` it is spread in due-date order, without it "
        "each invoice is disputed for its whole open amount.",
    )
    amount = MoneyField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = customers_for(request.user)

    def validate(self, attrs):
        if bool(attrs.get("lines")) == bool(attrs.get("invoices")):
            raise serializers.ValidationError("give either lines or invoices")
        if attrs.get("lines") and "amount" in attrs:
            raise serializers.ValidationError({"amount": "lines carry their own amounts"})
        invoices = [row["invoice"] for row in attrs.get("lines", [])]
        if len(invoices) != len(set(invoices)):
            raise serializers.ValidationError({"lines": "an invoice is named twice"})
        return attrs


class CreditInSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(min_value=1)
    amount = MoneyField()


class TransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=DisputeStatus.choices)
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Needed to resolve (how) and to reopen (why).",
    )
    outcome = serializers.ChoiceField(
        choices=DisputeOutcome.choices, required=False, allow_blank=True, default=""
    )
    credits = CreditInSerializer(
        many=True,
        required=False,
        help_text="Per invoice; a credit issued without them credits every line in full.",
    )


class AssignSerializer(serializers.Serializer):
    department = serializers.ChoiceField(choices=Department.choices, required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=Dispute.objects.none(), allow_null=True, help_text="A user id, or null: nobody."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = selectors.assignable_users()


class RootCauseSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    disputes = serializers.IntegerField()
    still_open = serializers.IntegerField()
    resolved = serializers.IntegerField()
    amount = MoneyField()
    credited = MoneyField()
    mean_days = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    median_days = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    cumulative_pct = serializers.DecimalField(max_digits=6, decimal_places=2)


class OpenRowSerializer(serializers.Serializer):
    reason = serializers.CharField()
    department = serializers.CharField()
    disputes = serializers.IntegerField()
    amount = MoneyField()
    bands = serializers.ListField(
        child=serializers.IntegerField(), help_text="Open disputes per age band (age_bands)."
    )
    oldest_days = serializers.IntegerField()


class SharePointSerializer(serializers.Serializer):
    day = serializers.DateField()
    open_ar = MoneyField()
    in_dispute = MoneyField()
    share_pct = serializers.DecimalField(max_digits=6, decimal_places=2)


class DisputeReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    by = serializers.CharField()
    currency = serializers.CharField(help_text="The reporting currency of every amount.")
    age_bands = serializers.ListField(child=serializers.CharField())
    root_causes = RootCauseSerializer(many=True, source="rows")
    open_by_age = OpenRowSerializer(many=True, source="open_rows")
    ar_in_dispute = SharePointSerializer(many=True, source="share")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, PNG, JPEG or .eml, at most 10 MB.")


@extend_schema(tags=["disputes"])
class DisputeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [DisputePermissions]
    filterset_class = DisputeApiFilter
    ordering_fields = ["due_date", "opened_at", "amount"]
    queryset = Dispute.objects.none()

    def get_queryset(self):
        if self.action == "list":
            return selectors.dispute_api_rows(self.request.user)
        return selectors.disputes_for(self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return DisputeDetailSerializer
        return DisputeSerializer

    def retrieve(self, request, *args, **kwargs):
        dispute = self.get_object()
        return Response(
            DisputeDetailSerializer(
                selectors.dispute_with_history(dispute), context={"request": request}
            ).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="Default: 89 days ago"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Default: today"),
            OpenApiParameter("by", str, enum=["reason", "department", "customer"]),
        ],
        responses={200: DisputeReportSerializer},
        summary="Dispute reports",
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        filterset_class=None,
        filter_backends=[],
    )
    def reports(self, request):
        """Root causes of the disputes opened in the period (Pareto, cycle time mean and
        median), the disputes open now by reason, department and age, and the share of AR
        in dispute at each month end — in the reporting currency, within the caller's
        reach."""
        figures = report_figures(request.user, request.query_params.copy())
        if figures["form"].errors:
            raise serializers.ValidationError(figures["form"].errors)
        if figures["error"]:
            raise serializers.ValidationError({"detail": figures["error"]})
        return Response(DisputeReportSerializer(figures).data)

    @extend_schema(
        request=DisputeCreateSerializer,
        responses={201: DisputeSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        """Open a dispute on invoices of one customer in the caller's reach."""
        body = DisputeCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lines = {row["invoice"]: row["amount"] for row in data.get("lines", [])}
        dispute = services.dispute_open(
            actor=request.user,
            customer=data["customer"],
            invoice_ids=list(lines) or data["invoices"],
            amounts=lines or None,
            amount=data.get("amount"),
            reason_code=data["reason"].code,
            note=data["note"],
        )
        return self._one(dispute, status.HTTP_201_CREATED)

    def _one(self, dispute: Dispute, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.dispute_api_rows(self.request.user).get(pk=dispute.pk)
        return Response(DisputeSerializer(fresh, context={"request": self.request}).data, code)

    @extend_schema(
        request=TransitionSerializer,
        responses={200: DisputeSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def transition(self, request, pk=None):
        """Move the dispute along the transition table; resolving needs an outcome and a
        note; a credit (issued or partial) is for collectors, credit managers and finance,
        and issues a credit memo applied to the disputed invoices."""
        dispute = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["outcome"] in CREDIT_OUTCOMES and not request.user.has_perm(
            services.CREDIT_PERMISSION
        ):
            raise PermissionDenied("a credit is approved by a collector or credit manager")
        credits = {row["invoice"]: row["amount"] for row in data.get("credits", [])}
        moved = services.dispute_move(
            actor=request.user,
            dispute=dispute,
            to_status=data["to_status"],
            note=data["note"],
            outcome=data["outcome"],
            credits=credits or None,
        )
        return self._one(moved)

    @extend_schema(
        request=AssignSerializer,
        responses={200: DisputeSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def assign(self, request, pk=None):
        """Route the dispute to a department and/or a person."""
        dispute = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        routed = services.dispute_assign(
            actor=request.user,
            dispute=dispute,
            assignee=data["assignee"],
            department=data.get("department"),
            note=data["note"],
        )
        return self._one(routed)

    @extend_schema(responses={200: DisputeCommentSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def comments(self, request, pk=None):
        """The dispute's internal comments, oldest first."""
        dispute = self.get_object()
        rows = dispute.comments.select_related("author").order_by("created_at", "id")
        return Response(DisputeCommentSerializer(rows, many=True).data)

    @extend_schema(
        request=DisputeCommentSerializer,
        responses={201: DisputeCommentSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @comments.mapping.post
    @idempotent
    def comment_add(self, request, pk=None):
        """Add an internal comment (never shown to the customer)."""
        dispute = self.get_object()
        body = DisputeCommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.dispute_comment_add(
            actor=request.user, dispute=dispute, body=body.validated_data["body"]
        )
        return Response(DisputeCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: DisputeAttachmentSerializer(many=True)})
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filterset_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def attachments(self, request, pk=None):
        """The dispute's attachments, each with its download URL."""
        dispute = self.get_object()
        return Response(
            DisputeAttachmentSerializer(
                dispute.attachments.all(), many=True, context={"request": request}
            ).data
        )

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: DisputeAttachmentSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @attachments.mapping.post
    @idempotent
    def attachment_add(self, request, pk=None):
        """Attach a PDF, PNG, JPEG or .eml of at most 10 MB; the type is read from the
        content (a name proves nothing) and the name made safe."""
        dispute = self.get_object()
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = services.dispute_attachment_add(
            actor=request.user, dispute=dispute, upload=body.validated_data["file"]
        )
        return Response(
            DisputeAttachmentSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "attachment_id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description="An attachment of the dispute",
            )
        ],
        responses={
            (200, content_type): OpenApiResponse(OpenApiTypes.BINARY)
            for content_type in ("application/pdf", "image/png", "image/jpeg", "message/rfc822")
        },
        summary="Download an attachment",
    )
    def attachment_download(self, request, pk=None, attachment_id=None):
        """The file, always as a download (never rendered inline). Routed in
        dunwell/api_urls.py (``<int:...>`` ids), not by the router."""
        dispute = self.get_object()
        attachment = get_object_or_404(dispute.attachments, pk=attachment_id)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404("the file is gone") from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
