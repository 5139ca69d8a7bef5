"""A letter's HTML body as plain text, for the text part of a dunning e-mail.

Stripping the tags runs a table's cells together ("INV-1044842026-10-052026-11-04299,833.59");
here paragraphs stay paragraphs, wrapped, and a table becomes aligned columns: a header row
underlined, amounts (cells of class ``num``) right-aligned, a cell spanning columns spanning
them in the text too. Admins edit the letter templates, so this reads any body they write,
not a fixed layout.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser

WIDTH = 76
GAP = "  "
BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "section"}
_SPACES = re.compile(r"\s+")


@dataclass
class Cell:
    text: str = ""
    span: int = 1
    right: bool = False
    header: bool = False


@dataclass
class Table:
    rows: list[list[Cell]] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str | Table] = []
        self.text: list[str] = []
        self.table: Table | None = None
        self.cell: Cell | None = None
        self.prefix = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "br":
            self._write("\n")
        elif tag == "table":
            self._end_paragraph()
            self.table = Table()
        elif tag == "tr" and self.table is not None:
            self.table.rows.append([])
        elif tag in ("td", "th") and self.table is not None:
            if not self.table.rows:
                self.table.rows.append([])
            classes = (attrs.get("class") or "").split()
            self.cell = Cell(
                span=max(1, int(attrs.get("colspan") or 1)),
                right="num" in classes,
                header=tag == "th",
            )
            self.table.rows[-1].append(self.cell)
        elif tag in BLOCKS:
            self._end_paragraph()
            self.prefix = "- " if tag == "li" else ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.cell = None
        elif tag == "table" and self.table is not None:
            self.blocks.append(self.table)
            self.table = None
        elif tag in BLOCKS:
            self._end_paragraph()

    def handle_data(self, data):
        self._write(_SPACES.sub(" ", data))

    def _write(self, text: str) -> None:
        if self.cell is not None:
            self.cell.text += text
        elif self.table is None:
            self.text.append(text)

    def _end_paragraph(self) -> None:
        lines = [" ".join(line.split()) for line in "".join(self.text).split("\n")]
        paragraph = "\n".join(
            textwrap.fill(
                line, WIDTH, initial_indent=self.prefix, subsequent_indent=" " * len(self.prefix)
            )
            if line
            else ""
            for line in lines
        ).strip("\n")
        if paragraph.strip():
            self.blocks.append(paragraph)
        self.text = []
        self.prefix = ""


def _layout(table: Table) -> str:
    rows = [
        [Cell(" ".join(c.text.split()), c.span, c.right, c.header) for c in r] for r in table.rows
    ]
    rows = [r for r in rows if r]
    columns = max((sum(c.span for c in r) for r in rows), default=0)
    widths = [0] * columns
    for row in rows:
        at = 0
        for cell in row:
            if cell.span == 1:
                widths[at] = max(widths[at], len(cell.text))
            at += cell.span
    for row in rows:  # a spanning cell longer than its columns widens the first of them
        at = 0
        for cell in row:
            if cell.span > 1:
                room = sum(widths[at : at + cell.span]) + len(GAP) * (cell.span - 1)
                widths[at] += max(0, len(cell.text) - room)
            at += cell.span
    lines = []
    for n, row in enumerate(rows):
        at, parts = 0, []
        for cell in row:
            width = sum(widths[at : at + cell.span]) + len(GAP) * (cell.span - 1)
            parts.append(cell.text.rjust(width) if cell.right else cell.text.ljust(width))
            at += cell.span
        lines.append(GAP.join(parts).rstrip())
        if all(c.header for c in row) and (
            n + 1 == len(rows) or not all(c.header for c in rows[n + 1])
        ):
            lines.append(GAP.join("-" * w for w in widths))
    return "\n".join(lines)


def html_to_text(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader._end_paragraph()
    return "\n\n".join(b if isinstance(b, str) else _layout(b) for b in reader.blocks)
