"""What regeneration decides for each existing milestone, as a table: no database."""

from datetime import UTC, datetime

import pytest

from assessments.models import Milestone
from assessments.roadmaps.inputs import milestone_content
from assessments.roadmaps.regenerate import Decision, classify
from assessments.roadmaps.rules.milestones import Planned

ITEM = Planned(
    key="step:1:3", kind="step", title="Automate", priority=40, process_key="1", to_level=3
)
RETIRED = datetime(2026, 1, 1, tzinfo=UTC)
Status = Milestone.Status
PLANNED, STARTED, DONE = Status.PLANNED, Status.IN_PROGRESS, Status.DONE


def milestone(*, key=ITEM.key, status=PLANNED, edited=False, retired=None, **changes):
    """A milestone generated from ITEM, then changed as the row says."""
    content = milestone_content(ITEM) | changes
    return Milestone(key=key, status=status, edited=edited, retired=retired, **content)


CASES = [
    # (the milestone, is it still called for, the decision)
    ("retired, called for again", milestone(retired=RETIRED), True, Decision("restore")),
    ("retired, not called for", milestone(retired=RETIRED), False, Decision("leave_out")),
    (
        "removed by a person, called for again",
        milestone(retired=RETIRED, edited=True),
        True,
        Decision("leave_out", "removed by a person, so left out"),
    ),
    ("added by hand", milestone(key="", kind="custom"), False, Decision("keep")),
    (
        "added by hand and done",
        milestone(key="", kind="custom", status=DONE, to_level=None),
        False,
        Decision("keep"),
    ),
    (
        "done, no longer needed",
        milestone(status=DONE),
        False,
        Decision("keep", "done; the new assessment no longer needs it"),
    ),
    (
        "done step, still called for",
        milestone(status=DONE),
        True,
        Decision("keep", "done, though the assessment still shows the step open"),
    ),
    (
        "done readiness milestone, still called for",
        milestone(status=DONE, to_level=None),
        True,
        Decision("keep"),
    ),
    (
        "edited, no longer needed",
        milestone(edited=True),
        False,
        Decision("keep", "edited by people; the new assessment no longer needs it"),
    ),
    (
        "edited, the plan changed it",
        milestone(edited=True, title="Automate the line"),
        True,
        Decision("keep", "edited by people, so not updated"),
    ),
    ("edited, the plan agrees", milestone(edited=True), True, Decision("keep")),
    ("planned, no longer needed", milestone(), False, Decision("retire")),
    (
        "started, no longer needed",
        milestone(status=STARTED),
        False,
        Decision("keep", "work has started; the new assessment no longer needs it"),
    ),
    (
        "blocked, no longer needed",
        milestone(status=Status.BLOCKED),
        False,
        Decision("keep", "work has started; the new assessment no longer needs it"),
    ),
    ("planned, still called for", milestone(), True, Decision("replan")),
    ("planned, the plan changed it", milestone(title="Old"), True, Decision("replan")),
    ("started, still called for", milestone(status=STARTED), True, Decision("update")),
]


@pytest.mark.parametrize(
    "m,called_for,expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_classify_decides_each_milestones_fate(m, called_for, expected):
    assert classify(m, ITEM if called_for else None) == expected


def test_every_action_has_a_row():
    actions = {case[3].action for case in CASES}
    assert actions == {"keep", "update", "replan", "retire", "restore", "leave_out"}
