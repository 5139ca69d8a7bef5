"""Reference rows every installation needs: currencies and the usual net terms.

Written by the data migration and re-asserted after every ``migrate``/``flush`` (see
collections_app/apps.py), so a flushed test database gets them back too.
"""

CURRENCIES = [
    ("USD", "US dollar", 2),
    ("EUR", "Euro", 2),
    ("GBP", "Pound sterling", 2),
    ("CAD", "Canadian dollar", 2),
    ("AUD", "Australian dollar", 2),
    ("CHF", "Swiss franc", 2),
    ("JPY", "Japanese yen", 0),
    ("MXN", "Mexican peso", 2),
    ("SEK", "Swedish krona", 2),
    ("NZD", "New Zealand dollar", 2),
]
NET_DAYS = [0, 10, 15, 30, 45, 60, 90]


def ensure_reference_data(currency_model, terms_model) -> None:
    for code, name, places in CURRENCIES:
        currency_model.objects.get_or_create(
            code=code, defaults={"name": name, "decimal_places": places}
        )
    for days in NET_DAYS:
        terms_model.objects.get_or_create(
            net_days=days,
            defaults={
                "code": "DUE" if days == 0 else f"NET{days}",
                "name": "Due on receipt" if days == 0 else f"Net {days}",
            },
        )
