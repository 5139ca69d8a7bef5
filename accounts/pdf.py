"""HTML to PDF with WeasyPrint, for letters, statements and report exports.

WeasyPrint fetches nothing but data: URLs, so ``<img src="file:///…">`` or a link in a
template cannot pull a server file into a PDF; the print stylesheet is parsed once per
process (letters are rendered in bulk).
"""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders


@cache
def _print_stylesheet():
    """The shared print styles, parsed once per process (letters are rendered in bulk)."""
    from weasyprint import CSS

    return CSS(filename=finders.find("css/print.css"))


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",))
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[_print_stylesheet()])
