"""Issue 16, item 4: the workspace e-mails' text/plain bodies are not HTML-escaped."""

import pytest
from django.core import mail

from collections_app.services import emails
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("template", ["statement", "reminder", "past_due"])
def test_the_plain_text_body_reads_names_and_the_message_as_typed(
    template, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    alice = collector("alice")
    baker = account(alice, "Baker & Sons O'Reilly Ltd", external_ref="B&S<1>")
    overdue_invoice(baker, "100.00", days_late=40, number="INV-<9>")
    pat = ContactFactory(customer=baker, name="Pat O'Neil", email="pat@baker.example")
    with django_capture_on_commit_callbacks(execute=False):
        queued = emails.statement_email_send(
            actor=alice, customer=baker, contact=pat, template=template, message='We pay "soon"'
        )

    emails.statement_email_deliver(
        activity_id=queued.pk, contact_id=pat.pk, template=template, message='We pay "soon"'
    )

    [message] = mail.outbox
    assert "Dear Pat O'Neil," in message.body
    assert "Baker & Sons O'Reilly Ltd" in message.body
    assert 'We pay "soon"' in message.body
    assert "&" + "#x27;" not in message.body and "&quot;" not in message.body
    assert "&amp;" not in message.body and "&lt;" not in message.body
    assert message.subject.endswith("Baker & Sons O'Reilly Ltd")
