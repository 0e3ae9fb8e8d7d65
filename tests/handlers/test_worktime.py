from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers.worktime import (
    CIVIL_SERVICE_HOLIDAYS,
    GENERAL_HOLIDAYS,
    QuietHours,
    WorkCalendar,
    next_send_instant,
)

MO = ZoneInfo("Asia/Macau")
LISBON = ZoneInfo("Europe/Lisbon")
MANDATORY = WorkCalendar()
GENERAL = WorkCalendar(holiday_categories=GENERAL_HOLIDAYS)
CIVIL = WorkCalendar(holiday_categories=CIVIL_SERVICE_HOLIDAYS)
# Monday 8 March 2027 off for the whole firm; Saturday 13 March and National Day 2027 worked instead.
ORG = WorkCalendar(
    extra_holidays=frozenset({date(2027, 3, 8)}),
    extra_workdays=frozenset({date(2027, 3, 13), date(2027, 10, 1)}),
)
NIGHT_SHIFT_LISBON = WorkCalendar(timezone=LISBON, day_start=time(0), day_end=time(6), workdays=frozenset(range(7)))
QUIET = QuietHours()
H = timedelta(hours=1)


def mo(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MO)


def lis(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=LISBON)


@pytest.mark.parametrize(
    ("calendar", "day", "name"),
    [
        (MANDATORY, date(2027, 2, 5), None),
        (MANDATORY, date(2027, 2, 6), "Chinese New Year's Day"),
        (MANDATORY, date(2027, 2, 7), "The second day of Chinese New Year"),
        (MANDATORY, date(2027, 2, 8), "The third day of Chinese New Year"),
        (MANDATORY, date(2027, 2, 9), None),
        (CIVIL, date(2027, 2, 5), "Chinese New Year's Eve (Afternoon)"),
        (CIVIL, date(2027, 2, 9), "Compensatory rest day for Chinese New Year's Day"),
        (CIVIL, date(2027, 2, 10), "Compensatory rest day for The second day of Chinese New Year"),
        (MANDATORY, date(2027, 10, 1), "National Day of the People's Republic of China"),
        (MANDATORY, date(2027, 10, 2), None),
        (GENERAL, date(2027, 10, 2), "The day following National Day of the People's Republic of China"),
        (
            CIVIL,
            date(2027, 10, 4),
            "Compensatory rest day for The day following National Day of the People's Republic of China",
        ),
        (MANDATORY, date(2027, 12, 20), "Macao S.A.R. Establishment Day"),
        (MANDATORY, date(2027, 12, 25), None),
        (GENERAL, date(2027, 12, 24), "Christmas Eve"),
        (GENERAL, date(2027, 12, 25), "Christmas Day"),
        (GENERAL, date(2027, 12, 27), None),
        (CIVIL, date(2027, 12, 27), "Compensatory rest day for Christmas Day"),
    ],
)
def test_holidays_from_the_library(calendar: WorkCalendar, day: date, name: str | None) -> None:
    assert calendar.holiday_name(day, "en_US") == name
    assert calendar.is_working_day(day) == (name is None and day.weekday() < 5)


def test_holiday_names_in_the_calendars_language_unless_asked() -> None:
    assert MANDATORY.holiday_name(date(2027, 12, 20)) == "澳門特別行政區成立紀念日"
    assert WorkCalendar(language="pt_MO").holiday_name(date(2027, 2, 6)) == "1.º dia do Novo Ano Lunar"
    assert MANDATORY.holiday_name(date(2027, 12, 20), "en_MO") == "Macao S.A.R. Establishment Day"
    assert ORG.holiday_name(date(2027, 3, 8)) is None


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 3, 8), False),  # an org holiday on a Monday
        (date(2027, 3, 13), True),  # a make-up Saturday
        (date(2027, 3, 14), False),
        (date(2027, 10, 1), True),  # worked although National Day
    ],
)
def test_org_days_override_the_week_and_public_holidays(day: date, working: bool) -> None:
    assert ORG.is_working_day(day) is working


@pytest.mark.parametrize(
    ("at", "working"),
    [
        (mo(3, 9, 8, 59), False),
        (mo(3, 9, 9), True),
        (datetime(2027, 3, 9, 17, 59, 59, 999999, tzinfo=MO), True),
        (mo(3, 9, 18), False),
        (mo(3, 13, 12), False),
        (mo(12, 20, 12), False),
        (datetime(2027, 3, 9, 2, tzinfo=UTC), True),  # 10:00 in Macau
    ],
)
def test_is_working_time(at: datetime, working: bool) -> None:
    assert MANDATORY.is_working_time(at) is working


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (mo(3, 9, 10, 15), mo(3, 9, 10, 15)),
        (mo(3, 9, 7), mo(3, 9, 9)),
        (mo(3, 9, 18), mo(3, 10, 9)),
        (mo(3, 12, 19), mo(3, 15, 9)),
        (mo(12, 17, 18), mo(12, 21, 9)),
        (datetime(2027, 3, 9, 12, tzinfo=UTC), mo(3, 10, 9)),  # 20:00 in Macau
    ],
)
def test_next_working_instant(at: datetime, expected: datetime) -> None:
    found = MANDATORY.next_working_instant(at)
    assert found == expected
    assert found.tzinfo == MO


@pytest.mark.parametrize(
    ("calendar", "start", "delta", "expected"),
    [
        (MANDATORY, mo(3, 5, 16), 4 * H, mo(3, 8, 11)),  # Friday afternoon lands on Monday
        (MANDATORY, mo(4, 2, 16), 4 * H, mo(4, 6, 11)),  # and skips a Monday holiday (Tomb-Sweeping Day)
        (MANDATORY, mo(3, 6, 10), 4 * H, mo(3, 8, 13)),  # a Saturday start counts from Monday 09:00
        (MANDATORY, mo(3, 9, 7, 30), 2 * H, mo(3, 9, 11)),
        (MANDATORY, mo(3, 9, 19), 2 * H, mo(3, 10, 11)),
        (MANDATORY, mo(3, 9, 14), 4 * H, mo(3, 10, 9)),  # ends at closing time: due next opening
        (MANDATORY, mo(3, 9, 14), timedelta(0), mo(3, 9, 14)),
        (MANDATORY, mo(3, 9, 19), timedelta(0), mo(3, 10, 9)),
        (MANDATORY, mo(3, 8, 9), 45 * H, mo(3, 15, 9)),
        (MANDATORY, datetime(2027, 3, 5, 8, tzinfo=UTC), 4 * H, mo(3, 8, 11)),
        (MANDATORY, mo(2, 5, 17), 2 * H, mo(2, 9, 10)),  # Chinese New Year 6-8 February
        (CIVIL, mo(2, 4, 17), 2 * H, mo(2, 11, 10)),  # plus the eve and two compensatory days
        (MANDATORY, mo(9, 30, 17), 2 * H, mo(10, 4, 10)),  # National Day
        (CIVIL, mo(9, 30, 17), 2 * H, mo(10, 5, 10)),
        (MANDATORY, mo(12, 17, 17), 2 * H, mo(12, 21, 10)),  # SAR Establishment Day, a Monday
        (MANDATORY, mo(12, 23, 17), 2 * H, mo(12, 24, 10)),  # Christmas: not a mandatory holiday
        (GENERAL, mo(12, 21, 17), 2 * H, mo(12, 23, 10)),  # Winter Solstice on the 22nd
        (GENERAL, mo(12, 23, 17), 2 * H, mo(12, 27, 10)),
        (CIVIL, mo(12, 23, 17), 2 * H, mo(12, 28, 10)),
        (ORG, mo(3, 5, 16), 4 * H, mo(3, 9, 11)),  # the org's Monday off
        (ORG, mo(3, 12, 16), 4 * H, mo(3, 13, 11)),  # the org's working Saturday
    ],
)
def test_add_working_time(calendar: WorkCalendar, start: datetime, delta: timedelta, expected: datetime) -> None:
    due = calendar.add_working_time(start, delta)
    assert due == expected
    assert due.tzinfo == MO
    assert calendar.is_working_time(due)


@pytest.mark.parametrize(
    ("calendar", "start", "days", "expected"),
    [
        (MANDATORY, mo(3, 9, 10, 30), 2, mo(3, 11, 10, 30)),
        (MANDATORY, mo(3, 12, 17), 1, mo(3, 15, 17)),
        (MANDATORY, mo(4, 2, 17), 1, mo(4, 6, 17)),  # Monday 5 April is Tomb-Sweeping Day
        (MANDATORY, mo(3, 13, 12), 1, mo(3, 16, 9)),  # Saturday counts from Monday 09:00
        (MANDATORY, mo(3, 8, 7), 1, mo(3, 9, 9)),
        (MANDATORY, mo(3, 8, 19), 0, mo(3, 9, 9)),
        (MANDATORY, mo(2, 4, 10, 30), 2, mo(2, 9, 10, 30)),  # over the Chinese New Year week
        (CIVIL, mo(2, 4, 10, 30), 2, mo(2, 12, 10, 30)),
        (CIVIL, mo(9, 29, 15), 3, mo(10, 6, 15)),  # over National Day and its compensatory Monday
        (ORG, mo(3, 12, 11), 2, mo(3, 15, 11)),  # through the working Saturday
    ],
)
def test_add_working_days(calendar: WorkCalendar, start: datetime, days: int, expected: datetime) -> None:
    assert calendar.add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (mo(3, 5, 16), mo(3, 8, 11), 4 * H),
        (mo(3, 6, 10), mo(3, 7, 15), timedelta(0)),
        (mo(3, 8), mo(3, 15), 45 * H),
        (mo(3, 9, 12), mo(3, 9, 12), timedelta(0)),
        (mo(3, 8, 11), mo(3, 5, 16), -4 * H),
        (mo(2, 5, 12), mo(2, 9, 12), 9 * H),  # six hours on Friday, three on Tuesday
        (mo(1, 1), mo(1, 1, year=2028), 254 * 9 * H),  # 261 weekdays, 7 of them mandatory holidays
    ],
)
def test_working_time_between(a: datetime, b: datetime, expected: timedelta) -> None:
    assert MANDATORY.working_time_between(a, b) == expected


@pytest.mark.parametrize("calendar", [MANDATORY, CIVIL, ORG, NIGHT_SHIFT_LISBON], ids=lambda c: c.timezone.key)
def test_working_time_between_inverts_add_working_time(calendar: WorkCalendar) -> None:
    rng = random.Random(20270206)
    year_start = datetime(2027, 1, 1, tzinfo=calendar.timezone)
    for _ in range(300):
        start = year_start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        delta = timedelta(minutes=rng.randrange(60 * 60))
        due = calendar.add_working_time(start, delta)
        assert due >= start
        assert calendar.is_working_time(due)
        assert calendar.working_time_between(start, due) == delta
        assert calendar.working_time_between(due, start) == -delta


def test_dst_spring_forward_over_a_weekend() -> None:
    calendar = WorkCalendar(timezone=LISBON)
    due = calendar.add_working_time(lis(3, 26, 16), 4 * H)  # clocks go forward early on Sunday 28 March
    assert due == lis(3, 29, 11)
    assert due.utcoffset() == H
    assert due.astimezone(UTC) - lis(3, 26, 16).astimezone(UTC) == timedelta(days=2, hours=18)
    assert calendar.working_time_between(lis(3, 26, 16), due) == 4 * H
    assert calendar.add_working_days(lis(3, 26, 10, 30), 1) == lis(3, 29, 10, 30)


@pytest.mark.parametrize(("day", "length"), [(date(2027, 3, 28), 5 * H), (date(2027, 10, 31), 7 * H)])
def test_dst_days_are_as_long_as_the_time_that_passes(day: date, length: timedelta) -> None:
    opens = datetime.combine(day, time(0), tzinfo=LISBON)
    closes = datetime.combine(day, time(6), tzinfo=LISBON)
    assert NIGHT_SHIFT_LISBON.working_time_between(opens, closes) == length


@pytest.mark.parametrize(
    ("start", "delta", "expected_utc"),
    [
        (lis(3, 28), 4 * H, datetime(2027, 3, 28, 4, tzinfo=UTC)),  # 05:00 on the clock
        (lis(10, 31), 2 * H, datetime(2027, 10, 31, 1, tzinfo=UTC)),  # the second 01:00
        (lis(10, 31), 7 * H, datetime(2027, 11, 1, 0, tzinfo=UTC)),
    ],
)
def test_dst_adding_counts_real_hours(start: datetime, delta: timedelta, expected_utc: datetime) -> None:
    due = NIGHT_SHIFT_LISBON.add_working_time(start, delta)
    assert due.astimezone(UTC) == expected_utc
    assert due.tzinfo == LISBON


@pytest.mark.parametrize(
    ("quiet", "at", "inside", "allowed"),
    [
        (QUIET, mo(3, 9, 19, 59), False, mo(3, 9, 19, 59)),
        (QUIET, mo(3, 9, 20), True, mo(3, 10, 9)),
        (QUIET, mo(3, 9, 23, 59), True, mo(3, 10, 9)),
        (QUIET, mo(3, 10, 0), True, mo(3, 10, 9)),
        (QUIET, mo(3, 10, 8, 59), True, mo(3, 10, 9)),
        (QUIET, mo(3, 10, 9), False, mo(3, 10, 9)),
        (QUIET, datetime(2027, 3, 9, 13, tzinfo=UTC), True, mo(3, 10, 9)),  # 21:00 in Macau
        (QuietHours(time(12), time(14)), mo(3, 9, 13), True, mo(3, 9, 14)),
        (QuietHours(time(12), time(14)), mo(3, 9, 14), False, mo(3, 9, 14)),
        (QuietHours(time(12), time(12)), mo(3, 9, 12), False, mo(3, 9, 12)),
    ],
)
def test_quiet_hours(quiet: QuietHours, at: datetime, inside: bool, allowed: datetime) -> None:
    assert quiet.contains(at, MO) is inside
    assert quiet.next_allowed(at, MO) == allowed


def test_quiet_hours_end_on_the_clock_after_a_dst_change() -> None:
    assert QUIET.next_allowed(lis(3, 27, 21), LISBON) == lis(3, 28, 9)
    assert QUIET.next_allowed(lis(3, 27, 21), LISBON).utcoffset() == H


@pytest.mark.parametrize(
    ("calendar", "at", "expected"),
    [
        (MANDATORY, mo(3, 12, 19), mo(3, 12, 19)),  # after work but before quiet hours
        (MANDATORY, mo(3, 12, 21), mo(3, 15, 9)),
        (MANDATORY, mo(3, 13, 10), mo(3, 15, 9)),
        (MANDATORY, mo(3, 10, 6), mo(3, 10, 9)),
        (MANDATORY, mo(2, 7, 10), mo(2, 9, 9)),  # Chinese New Year
        (MANDATORY, mo(9, 30, 22), mo(10, 4, 9)),  # National Day and the weekend
        (ORG, mo(3, 13, 10), mo(3, 13, 10)),
    ],
)
def test_next_send_instant(calendar: WorkCalendar, at: datetime, expected: datetime) -> None:
    assert next_send_instant(calendar, QUIET, at) == expected


NAIVE = datetime(2027, 3, 9, 10)
AWARE = mo(3, 9, 10)


@pytest.mark.parametrize(
    "call",
    [
        lambda: MANDATORY.is_working_time(NAIVE),
        lambda: MANDATORY.next_working_instant(NAIVE),
        lambda: MANDATORY.add_working_time(NAIVE, H),
        lambda: MANDATORY.add_working_days(NAIVE, 1),
        lambda: MANDATORY.working_time_between(NAIVE, AWARE),
        lambda: MANDATORY.working_time_between(AWARE, NAIVE),
        lambda: QUIET.contains(NAIVE, MO),
        lambda: QUIET.next_allowed(NAIVE, MO),
        lambda: next_send_instant(MANDATORY, QUIET, NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_other_aware_timezones_are_accepted() -> None:
    plus_eight = timezone(timedelta(hours=8))
    assert MANDATORY.add_working_time(datetime(2027, 3, 5, 16, tzinfo=plus_eight), 4 * H) == mo(3, 8, 11)


@pytest.mark.parametrize(
    "call",
    [
        lambda: MANDATORY.add_working_time(AWARE, -H),
        lambda: MANDATORY.add_working_days(AWARE, -1),
        lambda: WorkCalendar(day_start=time(18), day_end=time(9)),
        lambda: WorkCalendar(workdays=frozenset()),
        lambda: WorkCalendar(workdays=frozenset({7})),
        lambda: WorkCalendar(
            extra_holidays=frozenset({date(2027, 3, 8)}), extra_workdays=frozenset({date(2027, 3, 8)})
        ),
        lambda: WorkCalendar(holiday_categories=("bank",)),
        lambda: WorkCalendar(language="fr"),
        lambda: WorkCalendar(
            extra_holidays=frozenset(date(2027, 1, 1) + timedelta(n) for n in range(800))
        ).next_working_instant(AWARE),
    ],
)
def test_bad_input_is_refused(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError):
        call()
