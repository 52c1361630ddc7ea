"""Business hours (core.business_hours): working minutes between two instants and the walk back
from now, across days, weekends, holidays and daylight-saving changes; strict reading of the
data. Pure functions: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opportune.core.business_hours import (
    DEFAULT_WORKING_HOURS,
    Schedule,
    business_cutoff,
    business_minutes_between,
    business_time_between,
    parse_schedule,
)
from opportune.core.errors import ValidationError

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = parse_schedule(DEFAULT_WORKING_HOURS, [], "Europe/Berlin")


def at(day: str, hm: str, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=zone)


def minutes(start: datetime, end: datetime, schedule: Schedule = NINE_TO_FIVE) -> Decimal:
    return business_minutes_between(start, end, schedule)


# --- minutes between ----------------------------------------------------------------------------
def test_within_one_working_day():
    # 2026-12-07 is a Monday
    assert minutes(at("2026-12-07", "10:00"), at("2026-12-07", "11:30")) == Decimal("90.00")


def test_before_and_after_hours_count_nothing():
    assert minutes(at("2026-12-07", "06:00"), at("2026-12-07", "09:00")) == 0
    assert minutes(at("2026-12-07", "17:00"), at("2026-12-07", "23:59")) == 0
    assert minutes(at("2026-12-07", "08:00"), at("2026-12-07", "18:00")) == 480


def test_across_a_night_and_a_weekend():
    # Friday 16:00 -> Monday 10:00: one hour on Friday, one on Monday
    assert minutes(at("2026-12-11", "16:00"), at("2026-12-14", "10:00")) == 120
    # a whole week is five working days
    assert minutes(at("2026-12-07", "00:00"), at("2026-12-14", "00:00")) == 5 * 480


def test_reversed_or_empty_span_is_zero():
    assert minutes(at("2026-12-07", "11:00"), at("2026-12-07", "10:00")) == 0
    assert minutes(at("2026-12-07", "11:00"), at("2026-12-07", "11:00")) == 0


def test_two_decimals_from_seconds():
    start = at("2026-12-07", "10:00")
    assert minutes(start, start + timedelta(seconds=61)) == Decimal("1.02")
    assert minutes(start, start + timedelta(seconds=30)) == Decimal("0.50")


def test_holidays_are_not_worked():
    schedule = parse_schedule(
        DEFAULT_WORKING_HOURS,
        [{"date": "2026-12-08", "description": "Feast"}],
        "Europe/Berlin",
    )
    assert minutes(at("2026-12-07", "16:00"), at("2026-12-09", "10:00"), schedule) == 120


def test_several_intervals_a_day_and_saturday():
    schedule = parse_schedule(
        {
            "mon": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
            "sat": [{"start": "10:00", "end": "12:00"}],
        },
        [],
        "UTC",
    )
    z = ZoneInfo("UTC")
    assert minutes(at("2026-12-07", "11:00", z), at("2026-12-07", "14:00", z), schedule) == 120
    assert minutes(at("2026-12-12", "00:00", z), at("2026-12-13", "00:00", z), schedule) == 120


def test_instants_in_other_zones_are_the_same_instants():
    start = at("2026-12-07", "10:00").astimezone(UTC)  # 09:00 UTC
    end = at("2026-12-07", "12:00").astimezone(ZoneInfo("America/New_York"))
    assert minutes(start, end) == 120


def test_round_the_clock_day_across_the_spring_dst_change_is_23_hours():
    # Europe/Berlin moves from 02:00 to 03:00 on Sunday 2027-03-28
    schedule = parse_schedule({"sun": [{"start": "00:00", "end": "24:00"}]}, [], "Europe/Berlin")
    day = business_minutes_between(at("2027-03-28", "00:00"), at("2027-03-29", "00:00"), schedule)
    assert day == 23 * 60


def test_round_the_clock_day_across_the_autumn_dst_change_is_25_hours():
    schedule = parse_schedule({"sun": [{"start": "00:00", "end": "24:00"}]}, [], "Europe/Berlin")
    start = at("2026-10-25", "00:00")
    end = at("2026-10-26", "00:00")
    assert business_minutes_between(start, end, schedule) == 25 * 60


def test_interval_in_the_spring_gap_is_empty_and_nine_to_five_is_eight_hours():
    schedule = parse_schedule(
        {"sun": [{"start": "02:00", "end": "03:00"}, {"start": "09:00", "end": "17:00"}]},
        [],
        "Europe/Berlin",
    )
    span = (at("2027-03-28", "00:00"), at("2027-03-29", "00:00"))
    assert business_minutes_between(*span, schedule) == 480


def test_working_hours_are_local_wall_clock_on_both_sides_of_a_dst_change():
    # 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer
    friday = datetime(2027, 3, 26, 8, 0, tzinfo=UTC)
    monday = datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
    assert minutes(friday, monday) == 480


def test_no_working_hours_means_no_business_minutes():
    schedule = parse_schedule({}, [], "UTC")
    assert minutes(at("2026-12-07", "00:00"), at("2027-12-07", "00:00"), schedule) == 0
    assert business_cutoff(at("2026-12-07", "12:00"), 10, schedule) is None


def test_a_long_span_is_quick_enough_and_right():
    # a (non-leap) year from Monday: 52 weeks and one Monday
    start, end = at("2029-01-01", "00:00"), at("2030-01-01", "00:00")
    assert minutes(start, end) == (52 * 5 + 1) * 480


# --- the cut-off ---------------------------------------------------------------------------------
def test_cutoff_inside_the_working_day():
    now = at("2026-12-07", "12:00")  # Monday noon
    assert business_cutoff(now, 60, NINE_TO_FIVE) == at("2026-12-07", "11:00")


def test_cutoff_walks_over_the_weekend():
    now = at("2026-12-07", "10:00")  # Monday, one working hour in
    assert business_cutoff(now, 120, NINE_TO_FIVE) == at("2026-12-04", "16:00")


def test_cutoff_on_a_boundary_is_the_end_of_the_earlier_interval():
    now = at("2026-12-07", "10:00")
    # exactly the hour of Monday morning: waiting longer means before Friday's close
    assert business_cutoff(now, 60, NINE_TO_FIVE) == at("2026-12-04", "17:00")


def test_zero_target_outside_hours_is_the_last_close():
    now = at("2026-12-06", "12:00")  # Sunday
    assert business_cutoff(now, 0, NINE_TO_FIVE) == at("2026-12-04", "17:00")


def test_cutoff_skips_holidays():
    schedule = parse_schedule(
        DEFAULT_WORKING_HOURS, [{"date": "2026-12-04", "description": ""}], "Europe/Berlin"
    )
    now = at("2026-12-07", "10:00")
    assert business_cutoff(now, 120, schedule) == at("2026-12-03", "16:00")


SCHEDULES = [
    NINE_TO_FIVE,
    parse_schedule(
        {
            "mon": [{"start": "00:00", "end": "24:00"}],
            "tue": [{"start": "08:00", "end": "12:00"}, {"start": "12:30", "end": "18:15"}],
            "sat": [{"start": "02:00", "end": "03:30"}],
            "sun": [{"start": "01:30", "end": "02:30"}, {"start": "22:00", "end": "24:00"}],
        },
        [{"date": "2027-03-30", "description": "x"}, {"date": "2026-10-27", "description": ""}],
        "Europe/Berlin",
    ),
    parse_schedule(DEFAULT_WORKING_HOURS, [], "America/New_York"),
    parse_schedule({"fri": [{"start": "23:00", "end": "24:00"}]}, [], "Australia/Lord_Howe"),
]
# around both 2026/2027 DST changes of the zones above
BASE = datetime(2026, 10, 20, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=200 * 24 * 60).map(
    lambda m: BASE + timedelta(minutes=m, seconds=(m * 7) % 60)
)


@settings(max_examples=300, deadline=None)
@given(
    schedule=st.sampled_from(SCHEDULES),
    a=instants,
    b=instants,
    c=instants,
    target=st.integers(0, 6000),
)
def test_properties(schedule, a, b, c, target):
    a, b, c = sorted((a, b, c))
    ab = business_time_between(a, b, schedule)
    bc = business_time_between(b, c, schedule)
    # additive over adjacent spans, never more than the wall clock, never negative
    assert ab + bc == business_time_between(a, c, schedule)
    assert timedelta(0) <= ab <= b - a
    # the cut-off: a moment waits longer than the target exactly when it is before it
    cutoff = business_cutoff(c, target, schedule)
    assert cutoff is not None and cutoff <= c
    assert (business_minutes_between(a, c, schedule) > target) == (a < cutoff)
    assert business_time_between(cutoff, c, schedule) <= timedelta(minutes=target)


# --- reading the data strictly ---------------------------------------------------------------------
def fields_of(working_hours, holidays=(), time_zone="UTC") -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        parse_schedule(working_hours, list(holidays), time_zone)
    return caught.value.fields


@pytest.mark.parametrize(
    ("working_hours", "field"),
    [
        ({"funday": []}, "working_hours.funday"),
        ({"mon": [{"start": "17:00", "end": "09:00"}]}, "working_hours.mon[0].end"),
        ({"mon": [{"start": "09:00", "end": "09:00"}]}, "working_hours.mon[0].end"),
        ({"mon": [{"start": "25:00", "end": "26:00"}]}, "working_hours.mon[0].start"),
        ({"mon": [{"start": "9:00", "end": "17:00"}]}, "working_hours.mon[0].start"),
        ({"mon": [{"start": "09:00", "end": "24:30"}]}, "working_hours.mon[0].end"),
        ({"mon": [{"start": "24:00", "end": "24:00"}]}, "working_hours.mon[0].start"),
        ({"mon": [{"start": 9, "end": "17:00"}]}, "working_hours.mon[0].start"),
        ({"mon": [{"start": "09:00"}]}, "working_hours.mon[0]"),
        ({"mon": [{"start": "09:00", "end": "17:00", "x": 1}]}, "working_hours.mon[0]"),
        (
            {"tue": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "17:00"}]},
            "working_hours.tue",
        ),
        ({"mon": "09:00-17:00"}, "working_hours.mon"),
        ({"mon": [{"start": "09:00", "end": "17:00"}] * 7}, "working_hours.mon"),
        ([], "working_hours"),
    ],
)
def test_bad_working_hours_name_the_field(working_hours, field):
    assert field in fields_of(working_hours)


@pytest.mark.parametrize(
    ("holidays", "field"),
    [
        ([{"date": "2026-02-30", "description": ""}], "holidays[0].date"),
        ([{"date": "26-12-25", "description": ""}], "holidays[0].date"),
        ([{"date": 20261225}], "holidays[0].date"),
        ([{"description": "no date"}], "holidays[0].date"),
        (
            [
                {"date": "2026-12-25", "description": "a"},
                {"date": "2026-12-25", "description": "b"},
            ],
            "holidays[1].date",
        ),
        ([{"date": "2026-12-25", "description": "x" * 141}], "holidays[0].description"),
        ([{"date": "2026-12-25", "when": "all day"}], "holidays[0]"),
        (["2026-12-25"], "holidays[0]"),
    ],
)
def test_bad_holidays_name_the_field(holidays, field):
    assert field in fields_of(DEFAULT_WORKING_HOURS, holidays)


def test_unknown_time_zone_names_the_field():
    assert "time_zone" in fields_of(DEFAULT_WORKING_HOURS, time_zone="Mars/Olympus")


def test_good_data_reads():
    schedule = parse_schedule(
        {
            "mon": [{"start": "13:00", "end": "24:00"}, {"start": "00:00", "end": "12:00"}],
            "sun": None,
        },
        [{"date": "2026-12-25", "description": "Christmas Day"}],
        "Europe/Berlin",
    )
    assert schedule.hours[0] == ((0, 720), (780, 1440))
    assert schedule.hours[6] == ()
    assert schedule.holidays == frozenset({date(2026, 12, 25)})
