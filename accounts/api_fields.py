"""Money in the API: decimal text (or a whole number), never a JSON fraction, which a
client's JSON library has already turned into a binary float that may have lost cents."""

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MONEY_DESCRIPTION = (
    'Money as decimal text with at most two places, e.g. "1250.00". A JSON number with a '
    "fraction is refused: it is a binary float and may have lost cents."
)


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^-?\d{0,16}(?:\.\d{0,2})?$",
        "example": "1250.00",
        "description": MONEY_DESCRIPTION,
    }
)
class MoneyField(serializers.DecimalField):
    default_error_messages = {
        "fraction": 'give the amount as decimal text, e.g. "1250.00" (a JSON fraction is a float)',
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, float):
            self.fail("fraction")
        return super().to_internal_value(data)


class MoneyModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose decimal model fields are ``MoneyField``s."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: MoneyField,
    }
