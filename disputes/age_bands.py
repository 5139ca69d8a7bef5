"""How long an open dispute has been open: one set of bands for the disputes list's filter,
the report page, its API and its workbook, so that "31-60 days" means the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AgeBand:
    code: str  # the list's ?age= value
    label: str  # the list's filter choice
    heading: str  # the report's column
    youngest: int  # days since opened, inclusive
    oldest: int | None  # inclusive; None is open-ended

    def holds(self, days: int) -> bool:
        return days >= self.youngest and (self.oldest is None or days <= self.oldest)


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("0_7", "Opened in the last 7 days", "0-7 d", 0, 7),
    AgeBand("8_30", "8 to 30 days old", "8-30 d", 8, 30),
    AgeBand("31_60", "31 to 60 days old", "31-60 d", 31, 60),
    AgeBand("61_90", "61 to 90 days old", "61-90 d", 61, 90),
    AgeBand("over_90", "Over 90 days old", "over 90 d", 91, None),
)
