"""CSV imports over the API: the same import functions as the ``import_*`` commands."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .api_permissions import requires
from .csv_reading import ImportRejected, ImportResult, oversized, reject
from .exchange_rates import import_exchange_rates
from .imports import import_customers
from .uploads import ImportSizeLimit

UPLOAD_SCHEMA = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    }
}
RESULT = inline_serializer(
    "ImportResult",
    {
        "kind": serializers.CharField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "summary": serializers.CharField(),
    },
)
REJECTED = inline_serializer(
    "ImportRejected",
    {
        "detail": serializers.CharField(),
        "errors": inline_serializer(
            "ImportRowError",
            {
                "row": serializers.IntegerField(allow_null=True),
                "column": serializers.CharField(allow_null=True),
                "reason": serializers.CharField(),
            },
            many=True,
        ),
    },
)


def import_schema(**extra):
    return extend_schema(request=UPLOAD_SCHEMA, responses={200: RESULT, 400: REJECTED}, **extra)


class CsvImportView(APIView):
    """POST a CSV as the multipart field ``file``; 200 with counts or 400 with every error."""

    parser_classes = [MultiPartParser, FormParser]
    importer: Callable[..., ImportResult]

    def initialize_request(self, request, *args, **kwargs):
        # before anything reads the body: the size is checked as the file streams in
        request.upload_handlers.insert(0, ImportSizeLimit(request))
        return super().initialize_request(request, *args, **kwargs)

    @import_schema()
    def post(self, request) -> Response:
        return self.run_import(request)

    def run_import(self, request) -> Response:
        upload = request.FILES.get("file")
        try:
            if getattr(request._request, "import_upload_too_large", False):
                raise oversized()
            if upload is None:
                raise reject("send the CSV file as the multipart form field 'file'")
            result = type(self).importer(upload, actor=request.user)
        except ImportRejected as rejected:
            return Response(rejected.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


class CustomerImportView(CsvImportView):
    permission_classes = [requires("accounts.add_customer")]
    importer = staticmethod(import_customers)


class ExchangeRateImportView(CsvImportView):
    permission_classes = [requires("accounts.add_exchangerate", "accounts.change_exchangerate")]
    importer = staticmethod(import_exchange_rates)
