"""The schema's view of the API's refusals: every operation documents the error answers
it can give (400 a refusal naming the field, 401/403, 404 for an id out of reach, 422 an
Idempotency-Key reused for another request), all as the one ``Error`` body."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from invoices.idempotency import HEADER


class ErrorSerializer(serializers.Serializer):
    """A refusal: ``detail`` says why; a service's refusal names its ``field`` and ``code``;
    a request the serializers refuse has one entry per field instead (a list of reasons)."""

    detail = serializers.CharField(required=False)
    field = serializers.CharField(required=False, allow_null=True)
    code = serializers.CharField(required=False)


ERRORS = {
    "400": "Refused: the field and why (nothing was stored)",
    "401": "Not authenticated",
    "403": "The user's role may not do this",
    "404": "No such object within the user's reach, or no such page of a list",
    "422": f"The {HEADER} was used before for a different request",
}


class DunwellAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        codes = ["400", "401", "403"]
        parameters = {p.get("name") for p in operation.get("parameters", [])}
        if "{" in self.path or "page" in parameters:  # a page past the last one is a 404
            codes.append("404")
        if HEADER in parameters:
            codes.append("422")
        responses = operation["responses"]
        for code in codes:
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code)
                response["description"] = ERRORS[code]
                responses[code] = response
        return operation


def ids_are_not_negative(result, generator, request, public):
    """Ids in paths are never negative: ``<int:pk>`` routes do not even match one."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.setdefault("minimum", 0)
    return result
