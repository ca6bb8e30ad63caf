"""English formats that differ from Django's: a month is written 'Nov 2026'."""

YEAR_MONTH_FORMAT = "M Y"
