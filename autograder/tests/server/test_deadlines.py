"""Late-day arithmetic (services/deadlines.py, pure), then the same rules through the API: the
course's time zone and an assignment's dates set by staff, submissions made at chosen moments.

In 2026, New York springs forward on Sunday 8 March (that day has 23 hours) and falls back on
Sunday 1 November (25 hours). A day late is the same wall-clock time on the next day.
"""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from autograder.server.services.deadlines import (
    charge_late_days,
    day_start,
    days_after,
    late_days,
    next_midnight,
    open_until,
)
from conftest import reference_archive

NY = ZoneInfo("America/New_York")
UTC = timezone.utc


def ny(*args) -> datetime:
    """A New York wall-clock time, as the UTC moment it is (Python subtracts and adds to two
    datetimes of one zone in wall-clock time, so the tests count in UTC)."""
    return datetime(*args, tzinfo=NY).astimezone(UTC)


DUE_BEFORE_SPRING = ny(2026, 3, 7, 23, 59)  # Saturday, EST; the next day has 23 hours
DUE_BEFORE_FALL = ny(2026, 10, 31, 23, 59)  # Saturday, EDT; the next day has 25 hours


# ----------------------------------------------------------------------------- pure

def test_a_day_after_is_the_same_wall_clock_time_the_next_day_whatever_dst_does():
    spring = days_after(DUE_BEFORE_SPRING, 1, NY)
    assert spring == ny(2026, 3, 8, 23, 59) and spring - DUE_BEFORE_SPRING == timedelta(hours=23)
    fall = days_after(DUE_BEFORE_FALL, 1, NY)
    assert fall == ny(2026, 11, 1, 23, 59) and fall - DUE_BEFORE_FALL == timedelta(hours=25)
    # the answer keeps the zone of the question: a UTC due date stays UTC
    due_utc = DUE_BEFORE_SPRING.astimezone(UTC)
    assert days_after(due_utc, 1, NY) == spring and days_after(due_utc, 1, NY).tzinfo == UTC
    assert days_after(due_utc, 3, ZoneInfo("UTC")) - due_utc == timedelta(days=3)


def test_on_time_is_no_late_day():
    due = DUE_BEFORE_SPRING
    assert late_days(due - timedelta(days=2), due, NY) == 0
    assert late_days(due, due, NY) == 0  # at the due minute itself


def test_late_by_minutes_is_one_day():
    due = DUE_BEFORE_SPRING
    assert late_days(due + timedelta(seconds=1), due, NY) == 1
    assert late_days(due + timedelta(minutes=5), due, NY) == 1


def test_late_by_days_counts_each_started_day():
    due = ny(2026, 2, 6, 23, 59)  # no DST change near
    assert late_days(due + timedelta(days=1), due, NY) == 1
    assert late_days(due + timedelta(days=1, seconds=1), due, NY) == 2
    assert late_days(due + timedelta(days=3, minutes=1), due, NY) == 4


def test_the_spring_day_has_23_hours():
    due = DUE_BEFORE_SPRING
    assert late_days(due + timedelta(hours=22, minutes=59), due, NY) == 1
    assert late_days(due + timedelta(hours=23), due, NY) == 1  # Sunday 23:59 EDT: a day late exactly
    assert late_days(due + timedelta(hours=23, minutes=1), due, NY) == 2  # Monday 00:00 EDT
    assert late_days(ny(2026, 3, 9, 23, 59), due, NY) == 2
    assert late_days(ny(2026, 3, 10, 0, 0), due, NY) == 3


def test_the_fall_day_has_25_hours():
    due = DUE_BEFORE_FALL
    assert late_days(due + timedelta(hours=24, minutes=30), due, NY) == 1  # Sunday 23:29 EST
    assert late_days(due + timedelta(hours=25), due, NY) == 1
    assert late_days(due + timedelta(hours=25, minutes=1), due, NY) == 2


def test_open_until_is_the_due_date_plus_the_late_days_in_wall_clock_days():
    assert open_until(DUE_BEFORE_SPRING, 0, NY) == DUE_BEFORE_SPRING
    assert open_until(DUE_BEFORE_SPRING, 2, NY) == ny(2026, 3, 9, 23, 59)
    assert open_until(DUE_BEFORE_FALL, 1, NY) == ny(2026, 11, 1, 23, 59)


def test_an_extension_moves_the_due_date_and_with_it_the_closing_time():
    extended = days_after(DUE_BEFORE_SPRING, 2, NY)  # what staff grant: two days more
    assert open_until(extended, 1, NY) == ny(2026, 3, 10, 23, 59)
    submitted = ny(2026, 3, 9, 12, 0)
    assert late_days(submitted, DUE_BEFORE_SPRING, NY) == 2
    assert late_days(submitted, extended, NY) == 0
    assert late_days(ny(2026, 3, 10, 0, 30), extended, NY) == 1


def test_a_daily_limit_resets_at_local_midnight_even_on_a_short_day():
    assert next_midnight(ny(2026, 3, 8, 0, 30), NY) == ny(2026, 3, 9, 0, 0)
    assert next_midnight(ny(2026, 3, 8, 0, 30), NY) - ny(2026, 3, 8, 0, 30) == timedelta(hours=22, minutes=30)
    assert next_midnight(ny(2026, 3, 7, 23, 59, 59), NY) == ny(2026, 3, 8, 0, 0)
    assert day_start(ny(2026, 11, 1, 23, 0), NY) == ny(2026, 11, 1, 0, 0)
    assert ny(2026, 11, 1, 23, 0) - day_start(ny(2026, 11, 1, 23, 0), NY) == timedelta(hours=24)
    at_utc = ny(2026, 3, 8, 12, 0).astimezone(UTC)
    assert next_midnight(at_utc, NY) == ny(2026, 3, 9, 0, 0) and next_midnight(at_utc, NY).tzinfo == UTC


def test_the_budget_is_spent_in_due_order_and_each_day_beyond_it_costs_the_penalty():
    charges = charge_late_days([(2, 0.1), (2, 0.2), (1, 0.5), (0, 0.5)], budget=3)
    assert [(c.late_days, c.beyond_budget) for c in charges] == [(2, 0), (2, 1), (1, 1), (0, 0)]
    assert [c.multiplier for c in charges] == pytest.approx([1.0, 0.8, 0.5, 1.0])
    assert charge_late_days([(12, 0.1)], budget=0)[0].multiplier == 0.0  # never below nothing
    assert [c.beyond_budget for c in charge_late_days([(1, 0.1), (1, 0.1)], budget=5)] == [0, 0]


# ----------------------------------------------------------------------------- through the API

def course_in_new_york(api, due: datetime = DUE_BEFORE_SPRING, max_late_days: int = 2):
    api.change("/course", timezone="America/New_York")
    api.change("/assignments/hw1", opens_at=ny(2026, 3, 1, 0, 0), due_at=due, max_late_days=max_late_days,
               daily_limit=50)


def submitted_at(api, archive, moment: datetime, **kw):
    api.at(moment)
    return api.submit(archive, **kw)


def test_late_days_across_the_spring_change_through_the_api(make_api, tmp_path):
    api = make_api(workers=0)  # accepts, never grades: only the arithmetic matters here
    course_in_new_york(api)
    archive = reference_archive("hw1", tmp_path)
    expected = [(ny(2026, 3, 7, 12, 0), 0), (ny(2026, 3, 7, 23, 59), 0), (ny(2026, 3, 8, 0, 0, 30), 1),
                (ny(2026, 3, 8, 23, 58), 1), (ny(2026, 3, 9, 0, 1), 2), (ny(2026, 3, 9, 23, 59), 2)]
    for moment, days in expected:
        answer = submitted_at(api, archive, moment)
        assert answer.status_code == 201, answer.text
        assert answer.json()["late_days"] == days, (moment, answer.json())
        assert datetime.fromisoformat(answer.json()["created_at"]) == moment
    listed = api.client.get("/api/v1/submissions?homework=hw1", headers=api.student()).json()
    assert [s["late_days"] for s in listed] == [days for _, days in expected]

    me = api.client.get("/api/v1/me", headers=api.student()).json()
    hw1 = next(a for a in me["assignments"] if a["homework"] == "hw1")
    assert me["time_zone"] == "America/New_York"
    assert datetime.fromisoformat(hw1["due_at"]) == DUE_BEFORE_SPRING
    assert datetime.fromisoformat(hw1["open_until"]) == ny(2026, 3, 9, 23, 59)  # 47 hours later, not 48
    assert hw1["submissions_left_today"] == 50 - 2


def test_closed_after_the_late_days_and_not_open_before_opening(make_api, tmp_path):
    api = make_api(workers=0)
    course_in_new_york(api)
    archive = reference_archive("hw1", tmp_path)
    before = api.stored()
    closed = submitted_at(api, archive, ny(2026, 3, 10, 0, 0, 1))
    assert closed.status_code == 403
    assert "closed" in closed.json()["detail"] and "open until 2026-03-09 23:59 EDT" in closed.json()["detail"]
    early = submitted_at(api, archive, ny(2026, 2, 28, 23, 0))
    assert early.status_code == 403 and "opens at 2026-03-01 00:00 EST" in early.json()["detail"], early.text
    assert api.stored() == before


def test_an_extension_moves_the_due_date_and_the_closing_time_for_that_student_only(make_api, tmp_path):
    api = make_api(workers=0)
    course_in_new_york(api, max_late_days=1)
    other = api.add_student("other")
    granted = api.client.post("/api/v1/assignments/hw1/extensions", headers=api.staff(),
                              json={"login": "demo-student", "due_at": ny(2026, 3, 10, 23, 59).isoformat()})
    assert granted.status_code == 200, granted.text
    archive = reference_archive("hw1", tmp_path)

    on_time = submitted_at(api, archive, ny(2026, 3, 10, 12, 0))
    assert on_time.status_code == 201 and on_time.json()["late_days"] == 0
    late = submitted_at(api, archive, ny(2026, 3, 11, 23, 59))
    assert late.status_code == 201 and late.json()["late_days"] == 1
    closed = submitted_at(api, archive, ny(2026, 3, 12, 0, 1))
    assert closed.status_code == 403 and "open until 2026-03-11 23:59 EDT" in closed.json()["detail"]

    not_extended = submitted_at(api, archive, ny(2026, 3, 10, 12, 0), headers=api.headers(other))
    assert not_extended.status_code == 403 and "open until 2026-03-08 23:59 EDT" in not_extended.json()["detail"]
    me = api.client.get("/api/v1/me", headers=api.student()).json()
    hw1 = next(a for a in me["assignments"] if a["homework"] == "hw1")
    assert datetime.fromisoformat(hw1["due_at"]) == ny(2026, 3, 10, 23, 59)
    assert datetime.fromisoformat(hw1["open_until"]) == ny(2026, 3, 11, 23, 59)


def test_an_extension_granted_after_a_late_submission_counts_for_it(make_api, tmp_path):
    """Staff often grant an extension once a student explains a late submission: its late days
    must follow the new due date, as must those of a due date moved by staff."""
    api = make_api(workers=0)
    course_in_new_york(api)
    archive = reference_archive("hw1", tmp_path)
    submission = submitted_at(api, archive, ny(2026, 3, 9, 12, 0)).json()["submission"]
    assert api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()["late_days"] == 2

    api.client.post("/api/v1/assignments/hw1/extensions", headers=api.staff(),
                    json={"login": "demo-student", "due_at": ny(2026, 3, 8, 23, 59).isoformat()})
    assert api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()["late_days"] == 1

    api.change("/assignments/hw1", due_at=ny(2026, 3, 5, 23, 59))  # the extension still stands for this student
    assert api.client.get(f"/api/v1/submissions/{submission}", headers=api.student()).json()["late_days"] == 1
    other = api.add_student("other")
    api.at(ny(2026, 3, 6, 12, 0))
    theirs = api.submit(archive, headers=api.headers(other)).json()["submission"]
    assert api.client.get(f"/api/v1/submissions/{theirs}", headers=api.staff()).json()["late_days"] == 1
    api.change("/assignments/hw1", due_at=ny(2026, 3, 7, 23, 59))
    assert api.client.get(f"/api/v1/submissions/{theirs}", headers=api.staff()).json()["late_days"] == 0


def test_the_daily_limit_counts_local_days(make_api, tmp_path):
    api = make_api(workers=0)
    course_in_new_york(api)
    api.change("/assignments/hw1", daily_limit=2)
    archive = reference_archive("hw1", tmp_path)
    # 23:30 EST on the 5th is 04:30 UTC on the 6th: the same local day as 00:10 EST on the 5th
    assert submitted_at(api, archive, ny(2026, 3, 5, 0, 10)).status_code == 201
    assert submitted_at(api, archive, ny(2026, 3, 5, 23, 30)).status_code == 201
    before = api.stored()
    refused = submitted_at(api, archive, ny(2026, 3, 5, 23, 59))
    assert refused.status_code == 429, refused.text
    assert "resets at 2026-03-06 00:00 EST" in refused.json()["detail"]
    assert refused.headers["Retry-After"] == "60"
    assert api.stored() == before
    assert submitted_at(api, archive, ny(2026, 3, 6, 0, 0)).status_code == 201  # a new day


def test_times_in_the_courses_zone_count_as_the_moments_they_are():
    """Callers may pass times in any zone; two of one zone are not subtracted in wall-clock time."""
    local = ZoneInfo("America/New_York")
    due = datetime(2026, 10, 31, 23, 59, tzinfo=local)
    for submitted in (datetime(2026, 11, 1, 23, 59, tzinfo=local), datetime(2026, 11, 2, 0, 30, tzinfo=local),
                      datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=local)):
        assert late_days(submitted, due, local) == late_days(submitted.astimezone(UTC), due.astimezone(UTC), local)
