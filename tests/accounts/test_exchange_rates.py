"""Exchange rates in: the audited service, /api/v1/exchange-rates/, the CSV import (command
and API), the ECB reference rates, and the admin."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts import roles
from accounts.csv_reading import ImportRejected
from accounts.errors import ServiceError
from accounts.exchange_rates import (
    ecb_rates_load,
    exchange_rate_set,
    import_exchange_rates,
    parse_ecb,
)
from accounts.models import AuditEntry, ExchangeRate
from accounts.tasks import ecb_rates_daily
from tests.factories import UserFactory, user_in_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/exchange-rates/"
IMPORT_URL = "/api/v1/imports/exchange-rates/"
DAY = datetime.date(2026, 12, 1)
ECB_SAMPLE = Path(__file__).parent / "data" / "eurofxref-daily.xml"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _rates() -> list[tuple]:
    return sorted(
        ExchangeRate.objects.values_list("currency", "quote_currency", "valid_from", "rate")
    )


def _audit() -> list[tuple]:
    return list(
        AuditEntry.objects.filter(object_type="accounts.exchangerate")
        .order_by("id")
        .values_list("action", "before", "after")
    )


@pytest.fixture
def finance():
    return user_in_role(roles.FINANCE, "fiona")


@pytest.fixture
def eur_usd():
    return ExchangeRate.objects.create(
        currency_id="EUR", quote_currency_id="USD", valid_from=DAY, rate=Decimal("1.10000000")
    )


# --- the service ------------------------------------------------------------------------


def test_setting_a_rate_writes_it_and_an_audit_entry(finance):
    rate = exchange_rate_set(
        actor=finance, currency="GBP", quote_currency="USD", valid_from=DAY, rate="1.25"
    )

    assert _rates() == [("GBP", "USD", DAY, Decimal("1.25000000"))]
    entry = AuditEntry.objects.get(object_type="accounts.exchangerate")
    assert (entry.actor, entry.action, entry.object_id, entry.before, entry.after) == (
        finance,
        "exchange_rate.create",
        str(rate.pk),
        None,
        {
            "currency": "GBP",
            "quote_currency": "USD",
            "valid_from": "2026-12-01",
            "rate": "1.25000000",
        },
    )


def test_replacing_a_rate_records_before_and_after_and_the_same_rate_records_nothing(
    finance, eur_usd
):
    exchange_rate_set(
        actor=finance,
        currency="EUR",
        quote_currency="USD",
        valid_from=DAY,
        rate="1.12",
        replace=True,
    )
    exchange_rate_set(
        actor=finance,
        currency="EUR",
        quote_currency="USD",
        valid_from=DAY,
        rate="1.12000000",
        replace=True,
    )

    assert _rates() == [("EUR", "USD", DAY, Decimal("1.12000000"))]
    assert [(a, b["rate"], c["rate"]) for a, b, c in _audit()] == [
        ("exchange_rate.change", "1.10000000", "1.12000000")
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rate": "0"}, "rate"),
        ({"rate": "-1.2"}, "rate"),
        ({"rate": 1.2}, "rate"),
        ({"rate": "1.123456789"}, "rate"),
        ({"rate": "abc"}, "rate"),
        ({"currency": "XXX"}, "currency"),
        ({"quote_currency": "EUR"}, "quote_currency"),
        ({"valid_from": DAY}, "valid_from"),  # the day already has a rate
    ],
)
def test_the_service_refuses_bad_rates_and_changes_nothing(finance, eur_usd, changes, field):
    before = _rates()
    given = {"currency": "EUR", "quote_currency": "GBP", "valid_from": DAY, "rate": "0.87"}
    if "valid_from" in changes:
        given["quote_currency"] = "USD"
    given.update(changes)

    with pytest.raises(ServiceError) as refused:
        exchange_rate_set(actor=finance, **given)

    assert refused.value.field == field
    assert _rates() == before
    assert _audit() == []


# --- the API ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(roles.ROLE_PERMISSIONS))
def test_every_role_reads_the_rates(role, eur_usd):
    user = user_in_role(role, f"reader-{role.lower().replace(' ', '-')}")

    listed = _api(user).get(URL)
    one = _api(user).get(f"{URL}{eur_usd.pk}/")

    assert listed.status_code == 200
    assert listed.json()["results"] == [
        {
            "id": eur_usd.pk,
            "currency": "EUR",
            "quote_currency": "USD",
            "valid_from": "2026-12-01",
            "rate": "1.10000000",
        }
    ]
    assert one.json()["rate"] == "1.10000000"


def test_rates_filter_by_pair_and_period(eur_usd):
    ExchangeRate.objects.create(
        currency_id="GBP", quote_currency_id="USD", valid_from=DAY, rate=Decimal("1.25")
    )
    user = user_in_role(roles.COLLECTOR, "cora")

    response = _api(user).get(URL, {"currency": "GBP", "valid_from_after": "2026-11-30"})

    assert [row["currency"] for row in response.json()["results"]] == ["GBP"]


def test_finance_posts_a_rate_and_it_is_audited(finance):
    response = _api(finance).post(
        URL,
        {"currency": "CHF", "quote_currency": "USD", "valid_from": "2026-12-01", "rate": "1.13"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["rate"] == "1.13000000"
    assert _rates() == [("CHF", "USD", DAY, Decimal("1.13000000"))]
    assert [(action, after["rate"]) for action, _, after in _audit()] == [
        ("exchange_rate.create", "1.13000000")
    ]
    assert AuditEntry.objects.get(object_type="accounts.exchangerate").actor == finance


def test_an_admin_changes_a_rate_with_patch(eur_usd):
    admin = user_in_role(roles.ADMIN, "ada")

    response = _api(admin).patch(f"{URL}{eur_usd.pk}/", {"rate": "1.09"}, format="json")

    assert response.status_code == 200
    assert _rates() == [("EUR", "USD", DAY, Decimal("1.09000000"))]
    assert [(a, b["rate"], c["rate"]) for a, b, c in _audit()] == [
        ("exchange_rate.change", "1.10000000", "1.09000000")
    ]


def test_a_patch_cannot_move_a_rate_to_another_day(finance, eur_usd):
    response = _api(finance).patch(
        f"{URL}{eur_usd.pk}/", {"valid_from": "2026-12-02"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "valid_from"
    assert _rates() == [("EUR", "USD", DAY, Decimal("1.10000000"))]
    assert _audit() == []


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.CFO, roles.CREDIT_MANAGER])
def test_roles_without_the_permission_cannot_write_rates(role, eur_usd):
    user = user_in_role(role, "nope")
    before = _rates()

    created = _api(user).post(
        URL,
        {"currency": "CHF", "quote_currency": "USD", "valid_from": "2026-12-01", "rate": "1.1"},
        format="json",
    )
    changed = _api(user).patch(f"{URL}{eur_usd.pk}/", {"rate": "2"}, format="json")
    imported = _api(user).post(
        IMPORT_URL, {"file": io.BytesIO(b"currency,quote_currency,valid_from,rate\r\n")}
    )

    assert (created.status_code, changed.status_code, imported.status_code) == (403, 403, 403)
    assert _rates() == before
    assert _audit() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate": "0"}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"rate": "x"}, "rate"),
        ({"currency": "XYZ"}, "currency"),
        ({"quote_currency": "CHF"}, "quote_currency"),
        ({"valid_from": "2026-13-01"}, "valid_from"),
        ({"quote_currency": "USD", "currency": "EUR"}, "valid_from"),  # that day is set
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(finance, eur_usd, body, field):
    before = _rates()
    data = {"currency": "CHF", "quote_currency": "USD", "valid_from": "2026-12-01", "rate": "1"}
    data.update(body)

    response = _api(finance).post(URL, data, format="json")

    assert response.status_code == 400
    payload = response.json()
    assert payload.get("field") == field or field in payload
    assert _rates() == before
    assert _audit() == []


# --- the CSV import ---------------------------------------------------------------------

HEADER = "currency,quote_currency,valid_from,rate"


def _csv(tmp_path, *lines: str) -> Path:
    path = tmp_path / "rates.csv"
    path.write_bytes(("\r\n".join([HEADER, *lines]) + "\r\n").encode())
    return path


def test_the_import_creates_replaces_and_audits_rates(tmp_path, finance, eur_usd):
    path = _csv(
        tmp_path, "EUR,USD,2026-12-01,1.11", "GBP,USD,2026-12-01,1.27", "usd,jpy,2026-12-01,150"
    )

    result = import_exchange_rates(path, actor=finance)

    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert _rates() == [
        ("EUR", "USD", DAY, Decimal("1.11000000")),
        ("GBP", "USD", DAY, Decimal("1.27000000")),
        ("USD", "JPY", DAY, Decimal("150.00000000")),
    ]
    assert [action for action, _, _ in _audit()] == [
        "exchange_rate.change",
        "exchange_rate.create",
        "exchange_rate.create",
    ]


def test_a_bad_file_is_refused_row_by_row_and_nothing_is_written(tmp_path, finance, eur_usd):
    path = _csv(
        tmp_path,
        "GBP,USD,2026-12-01,1.27",
        "GBP,USD,2026-12-01,1.28",
        "XXX,USD,2026-12-01,1.5",
        "CHF,CHF,2026-12-01,1",
        "CAD,USD,01/12/2026,0.7",
        "AUD,USD,2026-12-01,0",
        "EUR,USD,2026-12-01,1.123456789",
    )
    before = _rates()

    with pytest.raises(ImportRejected) as refused:
        import_exchange_rates(path, actor=finance)

    assert [(e.row, e.column) for e in refused.value.errors] == [
        (3, "valid_from"),
        (4, "currency"),
        (5, "quote_currency"),
        (6, "valid_from"),
        (7, "rate"),
        (8, "rate"),
    ]
    assert _rates() == before
    assert _audit() == []


def test_the_command_imports_a_file_and_reports_errors_by_row(tmp_path, finance):
    good = _csv(tmp_path, "GBP,USD,2026-12-01,1.27")
    out = io.StringIO()

    call_command("import_exchange_rates", str(good), "--actor", "fiona", stdout=out)

    assert out.getvalue().strip() == "exchange rates: 1 created, 0 updated, 0 unchanged"
    bad = _csv(tmp_path, "GBP,USD,2026-12-02,-1")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_exchange_rates", str(bad), stderr=err)
    assert "row 2" in err.getvalue() and "rate" in err.getvalue()
    assert _rates() == [("GBP", "USD", DAY, Decimal("1.27000000"))]


def test_finance_imports_rates_over_the_api(finance):
    body = f"{HEADER}\r\nGBP,USD,2026-12-01,1.27\r\n".encode()

    response = _api(finance).post(IMPORT_URL, {"file": io.BytesIO(body)})

    assert response.status_code == 200
    assert response.json()["created"] == 1
    assert _rates() == [("GBP", "USD", DAY, Decimal("1.27000000"))]


def test_a_refused_api_import_lists_the_rows(finance):
    body = f"{HEADER}\r\nGBP,USD,2026-12-01,abc\r\n".encode()

    response = _api(finance).post(IMPORT_URL, {"file": io.BytesIO(body)})

    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "rate")]
    assert _rates() == []


# --- the ECB reference rates ------------------------------------------------------------


def test_the_ecb_sample_parses_as_eur_to_x_rates():
    day, rates = parse_ecb(ECB_SAMPLE.read_bytes())

    assert day == datetime.date(2026, 12, 2)
    assert (rates["USD"], rates["JPY"], rates["GBP"], len(rates)) == (
        Decimal("1.0512"),
        Decimal("157.23"),
        Decimal("0.83015"),
        14,
    )


def test_the_ecb_task_is_off_without_a_url(settings):
    settings.ECB_RATES_URL = ""

    assert ecb_rates_daily() == "off"
    assert _rates() == []


def test_the_ecb_task_loads_the_known_currencies_from_a_file_url(settings):
    settings.ECB_RATES_URL = ECB_SAMPLE.resolve().as_uri()

    first = ecb_rates_daily()
    again = ecb_rates_load()

    ecb_day = datetime.date(2026, 12, 2)
    loaded = _rates()
    # BGN, CZK, DKK, HUF, PLN are not Dunwell currencies: left out
    assert [quote for _, quote, _, _ in loaded] == [
        "AUD", "CAD", "CHF", "GBP", "JPY", "MXN", "NZD", "SEK", "USD",
    ]  # fmt: skip
    assert {(base, day) for base, _, day, _ in loaded} == {("EUR", ecb_day)}
    assert ("EUR", "USD", ecb_day, Decimal("1.05120000")) in loaded
    assert first == "ECB rates: 9 created, 0 updated, 0 unchanged"
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9)
    assert len(_audit()) == 9


def test_a_reissued_ecb_rate_replaces_the_days_rate_through_the_service():
    day = datetime.date(2026, 12, 2)
    ExchangeRate.objects.create(
        currency_id="EUR", quote_currency_id="USD", valid_from=day, rate=Decimal("1.05")
    )

    result = ecb_rates_load(
        url="https://ecb.example/eurofxref-daily.xml", fetch=lambda url: ECB_SAMPLE.read_bytes()
    )

    assert (result.created, result.updated) == (8, 1)
    assert ExchangeRate.objects.get(currency="EUR", quote_currency="USD").rate == Decimal(
        "1.05120000"
    )


# --- the admin --------------------------------------------------------------------------


@pytest.fixture
def admin_browser():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client, user


def test_a_rate_edited_in_the_admin_goes_through_the_service_with_an_audit_entry(
    admin_browser, eur_usd
):
    client, user = admin_browser

    response = client.post(
        f"/admin/accounts/exchangerate/{eur_usd.pk}/change/", {"rate": "1.15000000"}
    )

    assert response.status_code == 302
    assert _rates() == [("EUR", "USD", DAY, Decimal("1.15000000"))]
    entry = AuditEntry.objects.get(object_type="accounts.exchangerate")
    assert (entry.actor, entry.action, entry.before["rate"], entry.after["rate"]) == (
        user,
        "exchange_rate.change",
        "1.10000000",
        "1.15000000",
    )


def test_a_rate_added_in_the_admin_is_audited(admin_browser):
    client, _ = admin_browser

    response = client.post(
        "/admin/accounts/exchangerate/add/",
        {"currency": "GBP", "quote_currency": "USD", "valid_from": "2026-12-01", "rate": "1.3"},
    )

    assert response.status_code == 302
    assert _rates() == [("GBP", "USD", DAY, Decimal("1.30000000"))]
    assert [(action, after["rate"]) for action, _, after in _audit()] == [
        ("exchange_rate.create", "1.30000000")
    ]
