"""Letters, statements and e-mails wholly in the customer's language: every label, date,
amount and page number, read back from the PDF and the e-mail's parts."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from pypdf import PdfReader

from dunning import services as dunning
from dunning.sending import render
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Every English word the letter (the default friendly reminder and its frame), the statement
# and the e-mail print around the customer's data, and English dates' month names. None may
# appear in a German or French document (whole words, case-sensitive).
ENGLISH_WORDS = [
    # the letter's frame and the e-mail around it
    "Attn",
    "Account",
    "Please pay to",
    "quoting account",
    "invoice numbers",
    "Your statement of account",
    "remittance slip",
    "attached",
    # the default friendly reminder
    "Friendly reminder",
    "Dear",
    "Our records show",
    "unpaid",
    "Invoice",
    "Issued",
    "Due",
    "Days overdue",
    "Open",
    "Total overdue",
    "Yours faithfully",
    "Credit & Collections",
    # the statement of account
    "Statement of account",
    "Date",
    "Terms",
    "Net",
    "Open items in",
    "Days past due",
    "Amount",
    "Total open",
    "of which overdue",
    "Aging",
    "Currency",
    "Current",
    "Over 120",
    "Remittance slip",
    "detach along this line",
    "PAY TO",  # the slip's labels are set in capitals
    "FROM",
    "Bank",
    "Account ref",
    "Statement of",
    "Amount due",
    "Amount enclosed",
    "Cheque number",
    # the page footer
    "of",
    # dates: English month abbreviations
    *MONTHS,
]
# Words a language shares with English, so finding them proves nothing.
SHARED = {
    # French: "Date" (the statement's date), "Total" is not in the list for the same reason.
    "fr": {"Date"},
    "de": set(),
}
# What each language prints instead, for the test to be sure it looked at the right document.
NATIVE = {
    "de": ["Zahlungserinnerung", "Kundenkonto", "Kontoauszug", "Zahlungsbeleg", "Seite 1 von 2"],
    "fr": ["Rappel de paiement", "Compte", "Relevé de compte", "Bordereau", "page 1 sur 2"],
}


def _says(text: str, words: str) -> bool:
    """Whole words, case-sensitive, across a line break (a narrow column wraps a heading)."""
    phrase = r"\s+".join(re.escape(word) for word in words.split())
    return re.search(rf"(?<![\w&]){phrase}(?!\w)", text) is not None


def _english_words_in(text: str, language: str) -> list[str]:
    shared = SHARED.get(language, set())
    return [word for word in ENGLISH_WORDS if word not in shared and _says(text, word)]


@pytest.fixture
def letter_in():
    """The level-1 communication (an e-mail with the letter and statement attached) to a
    customer whose letters are in ``language``, rendered as a worker renders it to send."""

    def make(language: str):
        manager = credit_manager("carla")
        customer = account(collector("cora"), "Acme Widgets", billing_address="1 Main St\nLyon")
        ContactFactory(customer=customer, name="Ann Payable", email="ap@acme.example")
        overdue_invoice(customer, "1234.50", days_late=20, number="ACME-1")
        dunning.dunning_policy_assign(
            actor=manager, customer=customer, policy=None, language=language
        )
        run = dunning.dunning_run_start(actor=manager)
        comm = run.communications.select_related("run", "customer", "level", "contact").get()
        assert comm.language == language
        return comm, render(comm)

    return make


def _pdf_text(pdf: bytes) -> tuple[str, int]:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "\n".join(page.extract_text() for page in pages), len(pages)


def test_the_english_word_list_is_what_an_english_letter_says(letter_in):
    """The list is only worth something if an English letter really prints these words."""
    _comm, rendered = letter_in("en")

    text, pages = _pdf_text(rendered.pdf)

    everything = "\n".join([text, rendered.email_text])
    missing = [w for w in ENGLISH_WORDS if not _says(everything, w)]
    # one month is enough: the others are there for letters written in other months
    assert [w for w in missing if w not in MONTHS] == []
    assert f"page 1 of {pages}" in text
    assert "1,234.50" in text


@pytest.mark.parametrize("language", ["de", "fr"])
def test_a_letter_and_statement_pdf_has_no_english_words(letter_in, language):
    comm, rendered = letter_in(language)

    text, pages = _pdf_text(rendered.pdf)

    assert pages == 2
    assert _english_words_in(text, language) == []
    for native in NATIVE[language]:
        assert native in text
    assert comm.customer.external_ref in text


@pytest.mark.parametrize(
    ("language", "amount", "day"),
    [("de", "1.234,50", r"\d\d\.\d\d\.\d{4}"), ("fr", "1\u202f234,50", r"\d+ [a-zéû]+\.? \d{4}")],
)
def test_dates_and_amounts_are_written_as_the_language_writes_them(
    letter_in, language, amount, day
):
    _comm, rendered = letter_in(language)

    text, _pages = _pdf_text(rendered.pdf)

    assert amount in text
    assert re.search(rf"ACME-1 {day} {day} 20 {amount}", text)


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_email_has_no_english_words_either(letter_in, language):
    comm, rendered = letter_in(language)

    assert _english_words_in(rendered.email_text, language) == []
    html_text = re.sub(r"<[^>]+>", " ", rendered.email_html)
    assert _english_words_in(html_text, language) == []
    assert rendered.email_subject.endswith(f"{comm.customer.external_ref})")
    assert f'lang="{language}"' in rendered.email_html


LOCALE_APPS = ("accounts", "invoices", "dunning")


@pytest.mark.parametrize("language", ["de", "fr"])
@pytest.mark.parametrize("app", LOCALE_APPS)
def test_every_message_is_translated_and_compiled(app, language):
    folder = Path(settings.BASE_DIR) / app / "locale" / language / "LC_MESSAGES"
    with (folder / "django.po").open("rb") as po:
        catalog = read_po(po, locale=language)

    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == []
    # the committed .mo says what the .po says (run `make messages` after editing a .po)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    with (folder / "django.mo").open("rb") as mo:
        committed = gettext.GNUTranslations(mo)._catalog
    expected = gettext.GNUTranslations(compiled)._catalog
    assert {k: v for k, v in committed.items() if k} == {k: v for k, v in expected.items() if k}
