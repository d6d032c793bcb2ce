"""Campaign windows as plain date arithmetic (no Django import), shared by models and services."""

from __future__ import annotations

from datetime import date, timedelta

PRELAUNCH = "prelaunch"
LAUNCH = "launch"
FOLLOWUP = "followup"


def campaign_phase(
    day: date, *, launch_date: date, prelaunch_days: int, followup_days: int
) -> str | None:
    """The phase ``day`` falls in, or None outside the campaign.

    Pre-launch is the ``prelaunch_days`` days before launch, the launch is the launch day, and
    follow-up is the ``followup_days`` days after it.
    """
    offset = (day - launch_date).days
    if offset == 0:
        return LAUNCH
    if -prelaunch_days <= offset < 0:
        return PRELAUNCH
    if 0 < offset <= followup_days:
        return FOLLOWUP
    return None


def campaign_days(*, launch_date: date, prelaunch_days: int, followup_days: int) -> list[date]:
    """Every day of the campaign, first pre-launch day to last follow-up day."""
    first = launch_date - timedelta(days=prelaunch_days)
    return [first + timedelta(days=i) for i in range(prelaunch_days + 1 + followup_days)]
