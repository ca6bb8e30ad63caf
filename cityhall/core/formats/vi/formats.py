"""Vietnamese formats that differ from Django's: a month is written 'tháng 11/2026'."""

YEAR_MONTH_FORMAT = r"\t\h\á\n\g n/Y"
