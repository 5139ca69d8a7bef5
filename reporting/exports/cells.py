"""Cell values for spreadsheets: text that a spreadsheet would run as a formula is defused."""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_text(value) -> str:
    """Prefix a quote to text a spreadsheet would read as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
