"""Issue 16, item 10: login is throttled by IP across usernames; a forgotten password is
reset by e-mail with Django's views; a locked-out or deactivated user's API token stops
working."""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import roles
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def alice():
    return user_in_role(roles.COLLECTOR, "alice", email="alice@example.com")


def test_password_spraying_from_one_address_is_throttled_across_usernames(settings, alice):
    settings.AXES_ENABLED = True
    client = Client()

    sprayed = [
        client.post("/login/", {"username": f"guess{n}", "password": "Winter2026!"}).status_code
        for n in range(5)
    ]
    right = client.post("/login/", {"username": "alice", "password": PASSWORD})

    assert sprayed == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_another_address_is_not_throttled_by_the_spray(settings, alice):
    settings.AXES_ENABLED = True
    for n in range(5):
        Client(REMOTE_ADDR="10.0.0.9").post(
            "/login/", {"username": f"guess{n}", "password": "Winter2026!"}
        )

    response = Client(REMOTE_ADDR="10.0.0.10").post(
        "/login/", {"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 302


def test_a_forgotten_password_is_reset_by_email(alice):
    client = Client()

    page = client.get("/login/")
    asked = client.post("/password-reset/", {"email": "alice@example.com"})

    assert 'href="/password-reset/"' in page.content.decode()
    assert asked.status_code == 302
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "&#x27;" not in message.body and "&amp;" not in message.body
    link = re.search(r"http://testserver(/reset/\S+/)", message.body)[1]
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase-7", "new_password2": "a-new-long-passphrase-7"},
    )
    assert done.status_code == 302
    assert Client().login(username="alice", password="a-new-long-passphrase-7")


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(alice):
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_a_deactivated_users_token_stops_working(alice):
    token = Token.objects.create(user=alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/customers/").status_code == 200

    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert api.get("/api/v1/customers/").status_code == 401


def test_a_locked_out_users_token_stops_working_until_the_lock_lapses(settings, alice):
    settings.AXES_ENABLED = True
    token = Token.objects.create(user=alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    for n in range(5):
        Client().post("/login/", {"username": "alice", "password": f"wrong-{n}"})

    locked = api.get("/api/v1/customers/")
    settings.AXES_COOLOFF_TIME = 0.0000001  # hours: the lock has lapsed
    lapsed = api.get("/api/v1/customers/")

    assert locked.status_code == 401
    assert "locked" in locked.json()["detail"]
    assert lapsed.status_code == 200
