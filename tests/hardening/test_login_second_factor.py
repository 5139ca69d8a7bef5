"""Issue 16, item 10: an optional TOTP second factor (django-otp) for admin and finance
users: once a confirmed authenticator is set up for one, the login asks for its code — the
Django admin's own login page included, which sends to the site's."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"


def _code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:06d}"


@pytest.fixture
def fiona():
    user = user_in_role(roles.FINANCE, "fiona")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def test_a_finance_user_with_an_authenticator_cannot_log_in_on_the_password_alone(fiona):
    client = Client()

    response = client.post("/login/", {"username": "fiona", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'name="otp_token"' in response.content.decode()


def test_a_finance_user_logs_in_with_the_password_and_the_current_code(fiona):
    user, device = fiona
    client = Client()

    response = client.post(
        "/login/", {"username": "fiona", "password": PASSWORD, "otp_token": _code(device)}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_wrong_code_is_refused(fiona):
    client = Client()

    response = client.post(
        "/login/", {"username": "fiona", "password": PASSWORD, "otp_token": "000000"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_without_an_authenticator_the_password_is_enough(fiona):
    user_in_role(roles.ADMIN, "ada")
    client = Client()

    response = client.post("/login/", {"username": "ada", "password": PASSWORD})

    assert response.status_code == 302


def test_a_collector_is_never_asked_for_a_code():
    alice = user_in_role(roles.COLLECTOR, "alice")
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client = Client()

    response = client.post("/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302


def test_the_admins_own_login_page_cannot_skip_the_second_factor():
    ada = user_in_role(roles.ADMIN, "ada", is_staff=True)
    device = TOTPDevice.objects.create(user=ada, name="phone", confirmed=True)
    client = Client()

    bypass = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ada", "password": PASSWORD, "next": "/admin/"},
    )
    admin_before = client.get("/admin/")
    signed_in = client.post(
        "/login/?next=/admin/",
        {"username": "ada", "password": PASSWORD, "otp_token": _code(device)},
    )

    assert (bypass.status_code, bypass["Location"]) == (302, "/login/?next=/admin/")
    assert admin_before["Location"] == "/admin/login/?next=/admin/"
    assert signed_in["Location"] == "/admin/"
    assert client.session["otp_device_id"] == device.persistent_id
    assert client.get("/admin/").status_code == 200
