"""The one error type of the calendar: bad input described in the user's words."""


class CalendarError(ValueError):
    """Invalid period, unit, country, region, date or time zone; says what is accepted."""
