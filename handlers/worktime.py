"""Working-time arithmetic for nudges, escalations and reminders: office hours, weekends, Macau public holidays.

Every function takes the instant it reasons about; nothing reads the clock. Datetimes must be timezone-aware
(naive ones raise ValueError); results are in the calendar's timezone. Durations are measured between UTC
instants, so a DST change inside a period counts as the real time that passed, not the wall-clock difference.

Holiday categories, as `holidays.country_holidays("MO", categories=...)` defines them:
- `MANDATORY_HOLIDAYS` ("public", the default): the mandatory holidays of the Labour Relations Law (Lei 7/2008),
  the ten days every private employer must give. The library adds no compensation days to them.
- `GENERAL_HOLIDAYS` ("public" + "optional"): the government's list of general public holidays (Good Friday,
  Christmas, Winter Solstice...), which banks, schools and many offices also close on.
- `CIVIL_SERVICE_HOLIDAYS` ("government"): the civil service's days off, with compensatory rest days for holidays
  on weekends and the afternoons of Chinese New Year's Eve and New Year's Eve, which count here as whole days.
Private firms follow the first list by law and often the second by habit; few follow the third, so the default is
the legal minimum and an org picks another tuple, or names its own days in `extra_holidays` / `extra_workdays`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

MACAU = ZoneInfo("Asia/Macau")
MANDATORY_HOLIDAYS: tuple[str, ...] = ("public",)
GENERAL_HOLIDAYS: tuple[str, ...] = ("public", "optional")
CIVIL_SERVICE_HOLIDAYS: tuple[str, ...] = ("government",)
COUNTRY = "MO"
# Long enough for any real closure; a calendar with no working day in a year is a configuration error.
SEARCH_DAYS = 366
ONE_DAY = timedelta(days=1)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {at!r}")


def _wall(d: date, t: time, tz: tzinfo) -> datetime:
    """The instant showing `t` on `d`; a wall time skipped by a DST jump moves forward by the jump."""
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC).astimezone(tz)


@functools.lru_cache(maxsize=256)
def _public_holidays(year: int, categories: tuple[str, ...], language: str) -> Mapping[date, str]:
    found = holidays.country_holidays(COUNTRY, years=year, categories=categories, language=language)
    return MappingProxyType(dict(found.items()))


@dataclass(frozen=True)
class WorkCalendar:
    """An org's working time: the same hours on every working day, in one timezone."""

    timezone: ZoneInfo = MACAU
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    workdays: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday is 0
    extra_holidays: frozenset[date] = frozenset()  # org days off on top of the public holidays
    extra_workdays: frozenset[date] = frozenset()  # make-up days that are worked though a weekend or holiday
    holiday_categories: tuple[str, ...] = MANDATORY_HOLIDAYS
    # Of holiday names: "zh_MO", "en_MO" or "pt_MO" for the cards' zh-Hant, en and pt. Always explicit, because
    # the library would otherwise guess from the process locale.
    language: str = "zh_MO"

    def __post_init__(self) -> None:
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("day_start and day_end are wall-clock times in `timezone`; give them no tzinfo")
        if not self.day_start < self.day_end:
            raise ValueError("day_start must be before day_end; shifts across midnight are not supported")
        if not self.workdays or not self.workdays <= frozenset(range(7)):
            raise ValueError(f"workdays must be a non-empty set of weekdays 0-6, got {sorted(self.workdays)}")
        if both := self.extra_holidays & self.extra_workdays:
            raise ValueError(f"dates both extra holidays and extra workdays: {sorted(both)}")
        # Fails now, not at the first deadline, on a category or language the library does not know.
        known = holidays.country_holidays(COUNTRY, categories=self.holiday_categories)
        if self.language not in known.supported_languages:
            raise ValueError(f"language must be one of {known.supported_languages}, got {self.language!r}")

    def holiday_name(self, d: date, language: str | None = None) -> str | None:
        """The public holiday's name on `d` (several joined by "; "), or None; org extra holidays have none."""
        return _public_holidays(d.year, self.holiday_categories, language or self.language).get(d)

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is worked: an extra workday, or a workday that is neither a holiday nor an extra one."""
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays or d.weekday() not in self.workdays:
            return False
        return self.holiday_name(d) is None

    def is_working_time(self, at: datetime) -> bool:
        """Whether `at` falls in working hours, [day_start, day_end), of a working day."""
        local = self._local(at)
        if not self.is_working_day(local.date()):
            return False
        opens, closes = self._hours(local.date())
        return opens <= at.astimezone(UTC) < closes

    def next_working_instant(self, at: datetime) -> datetime:
        """`at` itself if it is working time, else the start of the next working period."""
        local = self._local(at)
        d = local.date()
        if self.is_working_day(d):
            opens, closes = self._hours(d)
            if at.astimezone(UTC) < opens:
                return opens.astimezone(self.timezone)
            if at.astimezone(UTC) < closes:
                return local
        return self._hours(self._next_working_day(d))[0].astimezone(self.timezone)

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The instant `delta` of working time after `start`, counted from the next working instant.

        The result is always working time: work that ends exactly at day_end is due at the next day's start.
        """
        if delta < timedelta(0):
            raise ValueError(f"delta must not be negative, got {delta}")
        cursor = self.next_working_instant(start)
        d = cursor.date()
        cursor = cursor.astimezone(UTC)
        remaining = delta
        while True:
            closes = self._hours(d)[1]
            if remaining < closes - cursor:
                return (cursor + remaining).astimezone(self.timezone)
            remaining -= closes - cursor
            d = self._next_working_day(d)
            cursor = self._hours(d)[0]

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same time of day, `days` working days after the next working instant from `start`.

        Tuesday 10:30 + 2 is Thursday 10:30; Friday 17:00 + 1 is Monday 17:00 (or Tuesday after a Monday holiday);
        Saturday 12:00 or Monday 07:00 + 1 count from Monday 09:00 and give Tuesday 09:00; + 0 is the next
        working instant itself.
        """
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        begin = self.next_working_instant(start)
        d = begin.date()
        for _ in range(days):
            d = self._next_working_day(d)
        return _wall(d, begin.time(), self.timezone)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """The working time in [a, b); negative when b is before a."""
        low, high = a.astimezone(UTC), b.astimezone(UTC)
        if high < low:
            return -self.working_time_between(b, a)
        d, last = self._local(a).date(), self._local(b).date()
        total = timedelta(0)
        while d <= last:
            if self.is_working_day(d):
                opens, closes = self._hours(d)
                total += max(timedelta(0), min(high, closes) - max(low, opens))
            d += ONE_DAY
        return total

    def _local(self, at: datetime) -> datetime:
        _require_aware(at)
        return at.astimezone(self.timezone)

    def _hours(self, d: date) -> tuple[datetime, datetime]:
        """The working period of `d` as UTC instants, whether or not `d` is a working day."""
        opens = _wall(d, self.day_start, self.timezone).astimezone(UTC)
        return opens, _wall(d, self.day_end, self.timezone).astimezone(UTC)

    def _next_working_day(self, d: date) -> date:
        for _ in range(SEARCH_DAYS):
            d += ONE_DAY
            if self.is_working_day(d):
                return d
        raise ValueError(f"no working day within {SEARCH_DAYS} days before {d}")


@dataclass(frozen=True)
class QuietHours:
    """Wall-clock hours, [start, end), when no reminder goes out; start after end wraps past midnight."""

    start: time = time(20, 0)
    end: time = time(9, 0)  # equal to start: no quiet hours at all

    def contains(self, at: datetime, tz: tzinfo) -> bool:
        """Whether `at`, read on the clocks of `tz`, is in quiet hours."""
        _require_aware(at)
        now = at.astimezone(tz).time()
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_allowed(self, at: datetime, tz: tzinfo) -> datetime:
        """`at` if it is outside quiet hours, else the end of the quiet hours it falls in; in `tz`."""
        _require_aware(at)
        local = at.astimezone(tz)
        if not self.contains(local, tz):
            return local
        d = local.date()
        if self.start > self.end and local.time() >= self.start:
            d += ONE_DAY
        return _wall(d, self.end, tz)


def next_send_instant(calendar: WorkCalendar, quiet: QuietHours, at: datetime) -> datetime:
    """The first instant from `at` on a working day and outside quiet hours, in the calendar's timezone.

    Working hours themselves do not bound a reminder: with the defaults, 18:00-20:00 on a working day is allowed.
    """
    _require_aware(at)
    tz = calendar.timezone
    candidate = at.astimezone(tz)
    for _ in range(SEARCH_DAYS):
        d = candidate.date()
        if calendar.is_working_day(d):
            allowed = quiet.next_allowed(candidate, tz)
            if allowed.date() == d:
                return allowed
        candidate = _wall(d + ONE_DAY, time(0), tz)
    raise ValueError(f"no time to send within {SEARCH_DAYS} days of {at}")
