"""Issue 16, item 3: a dunning subject is plain text, escaped once where HTML shows it,
never in the e-mail's Subject header, its text part or the timeline."""

import io
import re

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from accounts import roles
from collections_app.models import Activity
from dunning import documents
from dunning import services as dunning
from dunning.models import DunningTemplate
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.factories import ContactFactory, user_in_role

pytestmark = pytest.mark.django_db

NAME = "Baker & Sons O'Reilly Ltd"


@pytest.fixture
def eager_celery():
    from dunwell.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def baker():
    customer = account(collector("cora"), NAME)
    ContactFactory(customer=customer, name="Pat O'Neil", email="ap@baker.example", is_primary=True)
    overdue_invoice(customer, "120.00", days_late=3, number="BAKER-1")
    return customer


def test_the_email_subject_text_part_html_and_timeline_show_the_name_escaped_once(
    baker, eager_celery, django_capture_on_commit_callbacks
):
    manager = credit_manager("carla")
    run = dunning.dunning_run_start(actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=manager, run=run)

    [message] = mail.outbox
    assert message.subject == f"Friendly reminder — {NAME} (account {baker.external_ref})"
    assert f"Friendly reminder — {NAME}" in message.body
    assert "Dear Pat O'Neil" in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body
    [(html, _mimetype)] = message.alternatives
    # css_inline writes the apostrophe as is; either way the text is escaped once
    assert re.search(r"<h1[^>]*>Friendly reminder — Baker &amp; Sons O('|&#x27;)Reilly Ltd", html)
    assert "&amp;amp;" not in html and "&amp;#x27;" not in html
    _name, pdf, _ = message.attachments[0]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "&amp;" not in text and "&#x27;" not in text
    activity = Activity.objects.get(customer=baker, kind="email")
    assert activity.note == f"Friendly reminder — {NAME}"
    timeline = Client()
    timeline.force_login(baker.assigned_collector)
    page = timeline.get(f"/customers/{baker.pk}/timeline/").content.decode()
    assert "Friendly reminder — Baker &amp; Sons O&#x27;Reilly Ltd" in page
    assert "&amp;amp;" not in page and "&amp;#x27;" not in page


def test_the_editor_preview_shows_the_subject_escaped_once(baker):
    admin = user_in_role(roles.ADMIN, "ada")
    client = Client()
    client.force_login(admin)
    friendly = DunningTemplate.objects.get(code="friendly_reminder", language="en")

    response = client.post(
        f"/dunning/templates/{friendly.pk}/preview/",
        {"subject": "Hello {{ customer.name }}", "body": "<p>x</p>", "customer": baker.pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response.context["preview"]["subject"] == f"Hello {NAME}"
    page = response.content.decode()
    shown = '<strong class="preview-subject">Hello Baker &amp; Sons O&#x27;Reilly Ltd</strong>'
    assert shown in page
    # the frame's document names it once escaped (and again as an attribute value)
    assert (
        "<title>Hello Baker &amp; Sons O&#x27;Reilly Ltd</title>"
        in (response.context["preview"]["srcdoc"])
    )


def test_a_rendered_subject_is_plain_text_and_a_body_stays_escaped(baker):
    template = DunningTemplate(
        code="x", subject="{{ customer.name }}", body="<p>{{ customer.name }}</p>"
    )
    context = documents.customer_preview_context(baker, template_code="friendly_reminder")

    subject, body = documents.render_letter(template, context)

    assert subject == NAME
    assert body == "<p>Baker &amp; Sons O&#x27;Reilly Ltd</p>"
