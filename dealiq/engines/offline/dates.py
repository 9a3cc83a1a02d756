"""Dates as data rooms write them: ISO, European day-first, "31 March 2027", "March 2027", "Q1 2027".

Day-first is assumed for numeric dates (12/03/2027 = 12 March): state it, because a US-style data room
would be misread. A month or a quarter without a day is read as its last day: for a contract end date
that is the conservative reading (the contract runs at least that long).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTHS["sept"] = 9

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),\s+(\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{4})$")
_QUARTER = re.compile(r"^Q([1-4])\s+(\d{4})$", re.IGNORECASE)


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:4].lower()) or _MONTHS.get(name[:3].lower())


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_date(text: str) -> dt.date | None:
    text = re.sub(r"\s+", " ", (text or "").strip())
    try:
        if m := _ISO.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _NUMERIC.match(text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        if (m := _DAY_MONTH_YEAR.match(text)) and _month(m[2]):
            return dt.date(int(m[3]), _month(m[2]), int(m[1]))
        if (m := _MONTH_DAY_YEAR.match(text)) and _month(m[1]):
            return dt.date(int(m[3]), _month(m[1]), int(m[2]))
        if (m := _MONTH_YEAR.match(text)) and _month(m[1]):
            return _last_day(int(m[2]), _month(m[1]))
        if m := _QUARTER.match(text):
            return _last_day(int(m[2]), int(m[1]) * 3)
    except ValueError:
        return None
    return None
