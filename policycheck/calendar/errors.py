"""The one error type of the calendar: bad input described in the user's words."""


class CalendarError(ValueError):
    """Invalid period, unit, country, region, date or time zone; says what is accepted."""


MIN_YEAR = 1900
MAX_YEAR = 2199


def out_of_range() -> CalendarError:
    """The error for a date or period end outside the supported years."""
    return CalendarError(
        f"dates from {MIN_YEAR} to {MAX_YEAR} are supported; this period reaches beyond them"
    )
