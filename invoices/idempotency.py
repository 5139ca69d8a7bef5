"""``Idempotency-Key`` for API writes: a replay returns the first response.

The key row is inserted in the same transaction as the write it guards. A concurrent
request with the same key blocks on the unique index until the first commits, then
replays its stored response; if the first failed and rolled back, the second proceeds.
Refused requests (4xx) store nothing, so the client may correct and retry with the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import wraps

from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"


def request_fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):
        items = data.lists()
    elif isinstance(data, Mapping):
        items = sorted(data.items())
    else:
        # A JSON array or scalar: the serializer refuses it; the fingerprint must not crash.
        items = [("", data)]
    canonical = {}
    for name, value in items:
        values = value if isinstance(value, list) else [value]
        rendered = []
        for item in values:
            if isinstance(item, UploadedFile):
                file_digest = hashlib.sha256()
                for chunk in item.chunks():
                    file_digest.update(chunk)
                item.seek(0)
                rendered.append(f"file:{file_digest.hexdigest()}")
            else:
                rendered.append(item)
        canonical[name] = rendered
    digest.update(json.dumps(canonical, sort_keys=True, cls=DjangoJSONEncoder).encode())
    return digest.hexdigest()


def idempotent(handler):
    """Decorate a DRF view method that creates money records."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return handler(view, request, *args, **kwargs)
        if len(key) > 255:
            return Response(
                {"detail": f"{HEADER} is longer than 255 characters"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=request.user,
                        key=key,
                        endpoint=request.path[:200],
                        request_fingerprint=fingerprint,
                        response_status=0,
                        response_body={},
                    )
            except IntegrityError:
                return _replay(request, key, fingerprint)
            response = handler(view, request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
                return response
            record.response_status = response.status_code
            record.response_body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
            record.save(update_fields=["response_status", "response_body"])
        return response

    return wrapper


def _replay(request, key: str, fingerprint: str) -> Response:
    first = IdempotencyKey.objects.get(user=request.user, key=key)
    if first.request_fingerprint != fingerprint:
        return Response(
            {
                "detail": f"{HEADER} {key!r} was already used for a different request",
                "code": "idempotency_key_reused",
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    response = Response(first.response_body, status=first.response_status)
    response["Idempotent-Replayed"] = "true"
    return response
