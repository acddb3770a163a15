"""Late-day arithmetic, in the course's time zone: pure functions of times and policies.

A day late is a wall-clock day in the course's zone: due Friday 23:59 in New York, a
submission on Saturday 23:58 is one day late even across a daylight-saving change (when that
day has 23 or 25 hours). Submissions stay open until the due date (or the student's
extension) plus the assignment's maximum of late days. The course has a budget of late days
for the whole term; each day used beyond it costs `penalty_per_day` of that assignment's score.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def days_after(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`moment` plus `days` wall-clock days in `zone` (the same local time, whatever DST does)."""
    local = moment.astimezone(zone)
    shifted = (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=zone)
    return shifted.astimezone(moment.tzinfo)


def late_days(submitted: datetime, due: datetime, zone: ZoneInfo) -> int:
    """Whole wall-clock days (started) between `due` and `submitted`; 0 when on time."""
    # in UTC: Python subtracts two datetimes of one zone in wall-clock time, ignoring DST
    submitted, due = submitted.astimezone(timezone.utc), due.astimezone(timezone.utc)
    if submitted <= due:
        return 0
    days = max(1, (submitted - due).days)
    while days > 1 and submitted <= days_after(due, days - 1, zone):
        days -= 1
    while submitted > days_after(due, days, zone):
        days += 1
    return days


def open_until(due: datetime, max_late_days: int, zone: ZoneInfo) -> datetime:
    """The last moment a submission is accepted."""
    return days_after(due, max_late_days, zone)


def next_midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    """When a daily limit resets: the next local midnight after `moment`."""
    local = moment.astimezone(zone)
    midnight = (local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None) + timedelta(days=1))
    return midnight.replace(tzinfo=zone).astimezone(moment.tzinfo)


def day_start(moment: datetime, zone: ZoneInfo) -> datetime:
    """The local midnight that starts `moment`'s day."""
    local = moment.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(moment.tzinfo)


@dataclass(frozen=True)
class LateCharge:
    """What one assignment's counted submission costs: late days, those beyond the budget, and
    the fraction of its score it keeps."""

    late_days: int
    beyond_budget: int
    multiplier: float


def charge_late_days(late_by_assignment: list[tuple[int, float]], budget: int) -> list[LateCharge]:
    """Spend the course's budget on each assignment's late days, in due-date order.

    `late_by_assignment`: (late days, penalty per day) for each assignment, earliest due first.
    """
    left, charges = budget, []
    for days, penalty in late_by_assignment:
        covered = min(days, left)
        left -= covered
        beyond = days - covered
        charges.append(LateCharge(days, beyond, max(0.0, 1.0 - penalty * beyond)))
    return charges
