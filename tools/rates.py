"""Reference rates as the publishers serve them. Pure: no Odoo, no database.

The ECB Data Portal and the Bundesbank time-series service answer SDMX-ML 2.1
generic data; the Bank of England database answers its own XML of `Cube`
elements. Each parser returns the observations sorted by date.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from .presets import REFERENCE_RATES

_SDMX_GENERIC = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?|-S([12])|-Q([1-4]))?$")


def period_start(period):
    """The first day of an SDMX period: 2026-01-15, 2026-01, 2026-S2, 2026-Q3, 2026."""
    match = _PERIOD.match(period.strip())
    if not match:
        raise ValueError(f"Not a period: {period!r}")
    year, month, day, half, quarter = match.groups()
    if half:
        return date(int(year), 1 if half == "1" else 7, 1)
    if quarter:
        return date(int(year), 3 * int(quarter) - 2, 1)
    return date(int(year), int(month or 1), int(day or 1))


def _number(text):
    try:
        return Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None


def parse_sdmx_generic(content):
    """[(date, rate)] of every observation with a value in an SDMX-ML 2.1
    generic data message (ECB Data Portal, Bundesbank)."""
    root = ElementTree.fromstring(content)
    observations = []
    for obs in root.iter(f"{_SDMX_GENERIC}Obs"):
        dimension = obs.find(f"{_SDMX_GENERIC}ObsDimension")
        value = obs.find(f"{_SDMX_GENERIC}ObsValue")
        if dimension is None or value is None:
            continue
        rate = _number(value.get("value"))
        if rate is not None:
            observations.append((period_start(dimension.get("value", "")), rate))
    return sorted(observations)


def parse_boe_xml(content, series="IUDBEDR"):
    """[(date, rate)] of `series` in the Bank of England database's XML answer."""
    root = ElementTree.fromstring(content)
    observations = []
    for cube in root.iter():
        if not cube.tag.endswith("Cube") or cube.get("SCODE") != series:
            continue
        for obs in cube:
            if obs.get("TIME") and obs.get("OBS_VALUE") is not None:
                rate = _number(obs.get("OBS_VALUE"))
                if rate is not None:
                    observations.append((date.fromisoformat(obs.get("TIME")[:10]), rate))
    return sorted(observations)


def rates_on(observations, days):
    """{day: rate in force on that day} for each of `days` that the observations
    cover: the last observation on or before the day, provided a later
    observation shows the series already reaches that day."""
    if not observations:
        return {}
    last_observed = observations[-1][0]
    found = {}
    for day in days:
        if day > last_observed:
            continue
        before = [rate for observed, rate in observations if observed <= day]
        if before:
            found[day] = before[-1]
    return found


def reading_days(rate_type, first, last):
    """The days from `first` to `last` on which a law reads `rate_type`, in order."""
    candidates = sorted(REFERENCE_RATES[rate_type].reading_days)
    return [
        date(year, month, day)
        for year in range(first.year, last.year + 1)
        for month, day in candidates
        if first <= date(year, month, day) <= last
    ]
