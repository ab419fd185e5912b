"""The range of instants the service accepts from clients.

Python's datetime stops at years 1 and 9999, so an instant near either end with an extreme UTC offset
(`0001-01-01T00:00:00+23:59`, `9999-12-31T23:59-23:59`) cannot be converted to UTC or to the local zone
(an OverflowError, which was a 500). Every `at`/`datetime` a client sends passes `checked_moment`, which
keeps one day of margin at both ends so that any conversion between zones stays in range.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

from pydantic import AfterValidator

_MARGIN: Final = timedelta(days=1)
EARLIEST: Final = datetime.min + _MARGIN
LATEST: Final = datetime.max - _MARGIN
RANGE_TEXT: Final = (
    f"须在 {EARLIEST.date()} 与 {LATEST.date()} 之间 (must lie between {EARLIEST.date()} and {LATEST.date()})"
)


def checked_moment(moment: datetime) -> datetime:
    """`moment` unchanged when it and its UTC equivalent lie in the range; ValueError otherwise."""
    try:
        utc = moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(RANGE_TEXT) from None
    if not (EARLIEST <= moment.replace(tzinfo=None) <= LATEST and EARLIEST <= utc <= LATEST):
        raise ValueError(RANGE_TEXT)
    return moment


#: A datetime field of a request body, checked by `checked_moment` (a 422 naming the field).
Moment = Annotated[datetime, AfterValidator(checked_moment)]
