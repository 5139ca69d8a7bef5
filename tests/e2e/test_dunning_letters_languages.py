"""A credit manager runs dunning for three customers whose letters go out in English, German
and French: preview → confirm → sent, then opens each letter's PDF in the browser (Chromium's
own PDF viewer) and a screenshot of each is kept in tests/artifacts to look at."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.models import ExchangeRate
from dunning import services as dunning_services
from dunning.models import DunningPolicy, DunningRun
from dunwell.celery import app as celery_app
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.dunning.pages import ensure_dunning_defaults
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"
# What each language's final demand says, for the test to be sure it shows the right letter.
SAYS = {
    "en": ("Final demand for payment", "43.20 USD for 1 invoice", "page 1 of 2"),
    "de": ("Letzte Mahnung", "43,20 USD für 1 Rechnung", "Seite 1 von 2"),
    "fr": ("Mise en demeure de payer", "43,20 USD pour 1 facture", "page 1 sur 2"),
}
CUSTOMERS = {"en": "Acme Widgets", "de": "Berliner Bau GmbH", "fr": "Lyon Textiles SA"}


@pytest.fixture
def eager_celery(settings, tmp_path):
    ensure_dunning_defaults()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _book() -> None:
    """Three customers at their final demand (two reminders sent before), one per language,
    under a policy that shows interest and the fixed compensation."""
    manager = credit_manager("carla")
    today = datetime.date.today()
    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=today - datetime.timedelta(days=30),
        rate=Decimal("1.08"),
    )
    DunningPolicy.objects.filter(is_default=True).update(
        interest_enabled=True, compensation_enabled=True
    )
    owner = collector("cora")
    for n, (language, name) in enumerate(CUSTOMERS.items(), start=1):
        customer = account(owner, name, billing_address=f"{n} Main Street\n{n}0115 Town")
        invoice = overdue_invoice(customer, f"{n}234.50", days_late=45, number=f"INV-{n}")
        for level, ago in ((1, 40), (2, 25)):
            dunning_services.invoice_dunning_history_record(
                actor=manager,
                invoice=invoice,
                level_number=level,
                sent_on=today - datetime.timedelta(days=ago),
            )
        dunning_services.dunning_policy_assign(
            actor=manager, customer=customer, policy=None, language=language
        )


def _log_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_a_run_in_three_languages_from_preview_to_sent_letters(page, screenshot, eager_celery):
    _book()

    _log_in(page, "carla")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dunning").click()
    page.get_by_role("button", name="Start a run").click()
    run = DunningRun.objects.get()
    page.wait_for_url(f"**/dunning/runs/{run.pk}/")
    names = page.locator("table.preview tbody > tr > th[scope=row] a").all_inner_texts()
    assert sorted(names) == sorted(CUSTOMERS.values())
    screenshot("dunning_languages_preview")

    page.get_by_role("link", name="Review and approve 3 communications…").click()
    summary = page.locator("table.approval-summary").inner_text()
    assert "3. Final demand" in summary
    assert "Fixed compensation shown on the letters: 129.60 USD" in page.content()
    screenshot("dunning_languages_confirm")
    page.get_by_label("I have checked the preview").check()
    page.get_by_role("button", name="Approve and send 3 communications").click()
    page.get_by_text("100% done").wait_for()
    screenshot("dunning_languages_sent")

    for language, name in CUSTOMERS.items():
        link = page.get_by_role("link", name=f"PDF sent to {name}")
        response = page.request.get(link.get_attribute("href"))
        assert response.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.body()))
        text = " ".join(reader.pages[0].extract_text().split())
        assert [said for said in SAYS[language] if said not in text] == []

        viewer = page.context.new_page()
        viewer.set_viewport_size({"width": 1000, "height": 1300})
        viewer.goto(link.get_attribute("href"))
        viewer.wait_for_load_state("networkidle")
        viewer.wait_for_timeout(1500)  # the viewer draws the page after the load
        viewer.screenshot(path=str(ARTIFACTS / f"dunning_letter_pdf_{language}.png"))
        viewer.close()
