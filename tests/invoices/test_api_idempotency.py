"""``Idempotency-Key`` on API writes: a replay returns the first response and creates nothing."""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry
from invoices import services
from invoices.models import Application, IdempotencyKey, Invoice, Payment
from tests.factories import CustomerFactory, invoice, payment, user_in_role

PAYMENTS = "/api/v1/payments/"
REPLAYED = "Idempotent-Replayed"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post(user, url: str, body: dict, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return _api(user).post(url, body, format="json", **headers)


def _ledger_state() -> dict:
    return {
        "invoices": sorted(Invoice.objects.values_list("pk", "open_amount")),
        "payments": sorted(Payment.objects.values_list("pk", "reference", "unapplied_amount")),
        "applications": Application.objects.count(),
        "audit": AuditEntry.objects.count(),
        "keys": sorted(IdempotencyKey.objects.values_list("user_id", "key", "response_status")),
    }


@pytest.fixture
def finance():
    return user_in_role(roles.FINANCE, "fiona")


@pytest.fixture
def acme():
    return CustomerFactory(external_ref="ACME", name="Acme")


def _payment_body(reference: str = "PAY-1", amount: str = "100.00", **extra) -> dict:
    return {
        "reference": reference,
        "customer": "ACME",
        "received_date": "2026-02-01",
        "amount": amount,
        **extra,
    }


@pytest.mark.django_db
def test_the_same_key_sent_twice_creates_one_payment_and_replays_the_first_response(finance, acme):
    first = _post(finance, PAYMENTS, _payment_body())
    state = _ledger_state()

    again = _post(finance, PAYMENTS, _payment_body())

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.json()["id"] == Payment.objects.get().pk
    assert again[REPLAYED] == "true"
    assert REPLAYED not in first
    assert _ledger_state() == state


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_a_422_and_creates_nothing(finance, acme):
    _post(finance, PAYMENTS, _payment_body())
    state = _ledger_state()

    response = _post(finance, PAYMENTS, _payment_body(reference="PAY-2", amount="5.00"))

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Idempotency-Key 'key-1' was already used for a different request",
        "code": "idempotency_key_reused",
    }
    assert REPLAYED not in response
    assert _ledger_state() == state


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_a_422(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    _post(finance, PAYMENTS, _payment_body())
    state = _ledger_state()

    response = _post(
        finance,
        f"{PAYMENTS}{Payment.objects.get().pk}/apply/",
        {"allocations": [{"invoice": target.pk, "amount": "10.00"}]},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert _ledger_state() == state


@pytest.mark.django_db
def test_two_users_may_use_the_same_key_independently(finance, acme):
    colleague = user_in_role(roles.FINANCE, "frank")

    mine = _post(finance, PAYMENTS, _payment_body(reference="PAY-1"))
    theirs = _post(colleague, PAYMENTS, _payment_body(reference="PAY-2"))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert REPLAYED not in theirs
    assert sorted(Payment.objects.values_list("reference", "created_by__username")) == [
        ("PAY-1", "fiona"),
        ("PAY-2", "frank"),
    ]
    assert sorted(IdempotencyKey.objects.values_list("user__username", "key")) == [
        ("fiona", "key-1"),
        ("frank", "key-1"),
    ]


@pytest.mark.django_db
def test_a_refused_request_does_not_burn_the_key(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    state = _ledger_state()

    refused = _post(
        finance, PAYMENTS, _payment_body(allocations=[{"invoice": target.pk, "amount": "150.00"}])
    )
    refused_state = _ledger_state()
    corrected = _post(
        finance, PAYMENTS, _payment_body(allocations=[{"invoice": target.pk, "amount": "100.00"}])
    )
    replay = _post(
        finance, PAYMENTS, _payment_body(allocations=[{"invoice": target.pk, "amount": "100.00"}])
    )

    assert refused.status_code == 400
    assert refused.json()["code"] == "over_application"
    assert refused_state == state
    assert corrected.status_code == 201
    assert corrected.json()["unapplied_amount"] == "0.00"
    assert REPLAYED not in corrected
    assert (replay.status_code, replay.json(), replay[REPLAYED]) == (201, corrected.json(), "true")
    assert Payment.objects.count() == 1
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_a_serializer_refusal_does_not_burn_the_key_either(finance, acme):
    refused = _post(finance, PAYMENTS, _payment_body(customer="NOBODY"))
    corrected = _post(finance, PAYMENTS, _payment_body())

    assert refused.status_code == 400
    assert refused.json() == {"customer": ["Object with external_ref=NOBODY does not exist."]}
    assert corrected.status_code == 201
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_a_key_longer_than_255_characters_is_refused(finance, acme):
    response = _post(finance, PAYMENTS, _payment_body(), key="k" * 256)

    assert response.status_code == 400
    assert response.json() == {"detail": "Idempotency-Key is longer than 255 characters"}
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_without_a_key_a_repeat_is_refused_as_a_duplicate_reference(finance, acme):
    _post(finance, PAYMENTS, _payment_body(), key=None)
    state = _ledger_state()

    again = _post(finance, PAYMENTS, _payment_body(), key=None)

    assert again.status_code == 400
    assert again.json() == {
        "detail": "payment PAY-1 already exists",
        "code": "duplicate",
        "field": "reference",
    }
    assert _ledger_state() == state


@pytest.mark.django_db
def test_an_apply_replayed_with_its_key_applies_once(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    cash = payment(acme, "100.00", reference="PAY-1")
    body = {"allocations": [{"invoice": target.pk, "amount": "60.00"}]}

    first = _post(finance, f"{PAYMENTS}{cash.pk}/apply/", body, key="apply-1")
    state = _ledger_state()
    again = _post(finance, f"{PAYMENTS}{cash.pk}/apply/", body, key="apply-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again[REPLAYED] == "true"
    assert _ledger_state() == state
    target.refresh_from_db()
    assert target.open_amount == Decimal("40.00")
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_a_credit_memo_apply_replayed_with_its_key_applies_once(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    memo = services.credit_memo_issue(
        actor=None,
        customer=acme,
        number="CM-1",
        issue_date=target.issue_date,
        amount="30.00",
        reason="Price",
    )
    body = {"allocations": [{"invoice": target.pk, "amount": "30.00"}]}

    first = _post(finance, f"/api/v1/credit-memos/{memo.pk}/apply/", body)
    again = _post(finance, f"/api/v1/credit-memos/{memo.pk}/apply/", body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert (again.json(), again[REPLAYED]) == (first.json(), "true")
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_a_reverse_replayed_with_its_key_reverses_once(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    cash = payment(acme, "100.00", reference="PAY-1")
    (original,) = services.payment_apply(
        actor=None, payment=cash, allocations=[services.Allocation(target.pk, Decimal("100.00"))]
    )
    url = f"/api/v1/applications/{original.pk}/reverse/"

    first = _post(finance, url, {"note": "NSF"}, key="reverse-1")
    state = _ledger_state()
    again = _post(finance, url, {"note": "NSF"}, key="reverse-1")
    without_key = _post(finance, url, {"note": "NSF"}, key=None)

    assert (first.status_code, again.status_code) == (201, 201)
    assert (again.json(), again[REPLAYED]) == (first.json(), "true")
    assert without_key.status_code == 400
    assert without_key.json()["code"] == "already_reversed"
    assert _ledger_state() == state
    target.refresh_from_db()
    assert target.open_amount == Decimal("100.00")


# --- concurrency: committed data, real threads --------------------------------------------


THREADS = 8


# Committed rows, so the threads' own connections see them. The flush that ends the test
# is followed by post_migrate, which puts the role groups and reference data back.
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_requests_with_one_key_create_one_payment():
    user_pk = user_in_role(roles.FINANCE, "fiona").pk
    CustomerFactory(external_ref="ACME", name="Acme")
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, dict, str | None]] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            client = APIClient()
            client.force_authenticate(get_user_model().objects.get(pk=user_pk))
            barrier.wait(timeout=10)
            response = client.post(
                PAYMENTS, _payment_body(), format="json", HTTP_IDEMPOTENCY_KEY="race-1"
            )
            results.append((response.status_code, response.json(), response.get(REPLAYED)))
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert Payment.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert [status for status, _, _ in results] == [201] * THREADS
    bodies = [body for _, body, _ in results]
    assert bodies == [bodies[0]] * THREADS
    assert bodies[0]["id"] == Payment.objects.get().pk
    assert sorted(replayed or "" for _, _, replayed in results) == [""] + ["true"] * 7


@pytest.mark.django_db
@pytest.mark.parametrize("body", [[1, 2], "text", 7])
def test_a_body_that_is_not_an_object_is_refused_with_a_key_as_without(body, finance, acme):
    without_key = _api(finance).post(PAYMENTS, body, format="json")
    with_key = _api(finance).post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="odd-1")

    assert without_key.status_code == 400
    assert (with_key.status_code, with_key.json()) == (400, without_key.json())
    assert IdempotencyKey.objects.count() == 0
    assert Payment.objects.count() == 0
