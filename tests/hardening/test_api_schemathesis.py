"""Issue 16, item 7: the API against its own live schema (schemathesis, in the suite).

Every operation, a few seeded examples each (bounded so the run stays short): no answer is
a 5xx, and every answer's status code, content type and body are the ones the schema
documents. The caller is an admin, who reaches every endpoint; a small book is seeded so
that lists and filters have rows to answer with. (The operations are walked here rather
than with ``schema.parametrize()``: its lazy fixture loader does not run under pytest 9.)
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import roles
from dunwell.wsgi import application
from tests.factories import ContactFactory, CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def in_process_requests():
    # As Django's test client does: keep the test's connection (and its transaction) open
    # across the in-process WSGI requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_answers_as_its_schema_says(in_process_requests):
    admin = user_in_role(roles.ADMIN, "ada", is_staff=True)
    acme = CustomerFactory(external_ref="ACME", name="Acme", assigned_collector=admin)
    ContactFactory(customer=acme, name="Ann Payable", email="ap@acme.example")
    invoice(acme, "100.00", number="INV-1")
    payment(acme, "40.00", reference="PAY-1")
    auth = {"Authorization": f"Token {Token.objects.create(user=admin).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=auth)
    failures = {}

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,  # the same examples every run
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case):
            case.call_and_validate(headers=auth, checks=CHECKS)

        try:
            answers_as_documented()
        except (Exception, BaseExceptionGroup) as failure:  # every operation's, reported together
            failures[operation.label] = str(failure)[:2000]

    print(*failures.values(), sep="\n\n")  # the reproductions, shown on failure
    assert failures == {}
