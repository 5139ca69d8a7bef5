"""Turn a service's refusal into a 400 naming the field, for every API view."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from accounts.errors import ServiceError


def api_exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)
