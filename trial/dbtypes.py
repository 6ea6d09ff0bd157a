"""Reading dates and times PostgreSQL holds but Python cannot: clamp them instead of failing.

PostgreSQL keeps dates from 4713 BC to 5874897 AD; Python's from year 1 to 9999. A value outside
(typed as year 1 before the forms bounded years, whose Europe/Paris offset put it before year 1
in UTC) made every read of its row fail with a server error, the page to correct it included.
These loaders return a clamped value instead, so the page shows and the form's plausible-year
check asks for the right date. Registered on every new connection (trial/apps.py), over
Django's own timestamptz loader, keeping its time zone handling.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import errors
from psycopg.types.datetime import DateLoader

# A day inside Python's range on each side: the value is converted to the site's time zone for
# display, and datetime.min or datetime.max themselves overflow in half of the world's zones.
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def _too_early(data: bytes) -> bool:
    # "0001-12-31 23:55:39+00 BC", "-infinity"; a year past 9999 has five digits instead.
    return b"BC" in data or data.startswith(b"-")


class ClampingDateLoader(DateLoader):
    def load(self, data) -> date:
        try:
            return super().load(data)
        except errors.DataError:
            return date.min if _too_early(bytes(data)) else date.max


def _tz_loader(tz) -> type[BaseTzLoader]:
    class ClampingTzLoader(BaseTzLoader):
        timezone = tz  # Django's create_cursor compares it with the connection's

        def load(self, data) -> datetime:
            try:
                return super().load(data)
            except errors.DataError:
                value = EARLIEST if _too_early(bytes(data)) else LATEST
                return value if self.timezone is None else value.astimezone(self.timezone)

    return ClampingTzLoader


def register(sender, connection, **kwargs) -> None:
    """connection_created receiver: the clamping loaders on this PostgreSQL connection."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    adapters.register_loader("date", ClampingDateLoader)
    adapters.register_loader("timestamptz", _tz_loader(connection.timezone))
