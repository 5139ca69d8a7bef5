"""HTML to PDF with WeasyPrint, for letters, statements and report exports.

WeasyPrint fetches nothing but data: URLs, so ``<img src="file:///…">`` or a link in a
template cannot pull a server file into a PDF. Letters are rendered in bulk, so what does
not change from one document to the next is set up once per process: the font
configuration, the parsed print stylesheet, and the page footer of each language.
"""

from __future__ import annotations

import re
from functools import cache

from django.contrib.staticfiles import finders
from django.utils import translation
from django.utils.translation import gettext

_PLACEHOLDER = re.compile(r"%\((page|pages)\)s")


@cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@cache
def _print_stylesheet():
    from weasyprint import CSS

    return CSS(filename=finders.find("css/print.css"), font_config=_font_config())


def page_footer_content(text: str) -> str:
    """ "page %(page)s of %(pages)s", translated, as a CSS ``content`` value with counters:
    each language keeps its own word order."""
    parts = []
    for n, piece in enumerate(_PLACEHOLDER.split(text)):
        if n % 2:
            parts.append(f"counter({piece})")
        elif piece:
            escaped = piece.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'"{escaped}"')
    return " ".join(parts)


@cache
def _page_footer(language: str):
    """The company's name and the page numbers below every page, in ``language``."""
    from weasyprint import CSS

    with translation.override(language):
        numbers = page_footer_content(gettext("page %(page)s of %(pages)s"))
    return CSS(
        string=f'@page {{ @bottom-center {{ content: string(company) " · " {numbers}; }} }}',
        font_config=_font_config(),
    )


def data_only_url_fetcher():
    """The URL fetcher every PDF we make uses: data: URLs only, never a file or the network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def pdf_from_html(html: str, *, language: str | None = None) -> bytes:
    """The PDF of ``html``; its page footer in ``language`` (default: the active one)."""
    from weasyprint import HTML

    footer = _page_footer(language or translation.get_language() or "en")
    return HTML(string=html, url_fetcher=data_only_url_fetcher()).write_pdf(
        stylesheets=[_print_stylesheet(), footer], font_config=_font_config()
    )
