"""Issue 11: an as-of date after today is refused with a message saying so — on the aging
page (the page again, the message beside the filters), the export and the API — and
nothing is queued."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from reporting.models import ExportJob
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def fin():
    return user_in_role(roles.FINANCE, "fin")


def _tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def _message(day: str) -> str:
    return (
        f"{day} is in the future: aging is as of today ({timezone.localdate().isoformat()}) "
        "or an earlier date"
    )


def test_the_aging_page_refuses_tomorrow_and_says_why_beside_the_filters(client, fin):
    client.force_login(fin)

    response = client.get("/reports/aging/", {"as_of": _tomorrow(), "view": "detail"})

    html = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert f"<li>As of: {_message(_tomorrow())}</li>" in html
    assert f'name="as_of" value="{_tomorrow()}"' in html  # what was typed, to correct it
    assert 'id="aging-filters"' in html
    assert '<table class="grid report">' not in html


def test_today_is_still_accepted(client, fin):
    client.force_login(fin)

    response = client.get("/reports/aging/", {"as_of": timezone.localdate().isoformat()})

    assert response.status_code == 200


def test_the_aging_api_refuses_a_future_as_of_naming_it(fin):
    api = APIClient()
    api.force_authenticate(fin)

    response = api.get("/api/v1/reports/aging/", {"as_of": _tomorrow()})

    assert response.status_code == 400
    assert response.json()["as_of"] == [{"message": _message(_tomorrow()), "code": "future"}]


def test_an_export_of_a_future_date_is_refused_and_queues_nothing(client, fin):
    api = APIClient()
    api.force_authenticate(fin)
    client.force_login(fin)

    from_api = api.post(
        "/api/v1/reports/exports/",
        {"kind": "detail", "format": "csv", "as_of": _tomorrow()},
        format="json",
    )
    from_page = client.post(
        "/reports/exports/",
        {"kind": "detail", "format": "csv", "as_of": _tomorrow()},
        HTTP_HX_REQUEST="true",
    )

    assert from_api.status_code == 400
    assert from_api.json()["as_of"] == [{"message": _message(_tomorrow()), "code": "future"}]
    assert from_page.status_code == 400
    assert _message(_tomorrow()) in from_page.content.decode()
    assert ExportJob.objects.count() == 0
