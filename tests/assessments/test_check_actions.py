"""The process page lists, under each check, what facilitators did to it (bound, tuned,
unbound: who, when, before → after), and under a criterion's evidence what was done to that;
an auditor sees only the events of their window, a final assessment's page only those up to its
snapshot."""

import re
from datetime import date, timedelta

import time_machine

from accounts.models import Membership, Role
from assessments.lifecycle import assessment_finalize
from assessments.models.verification import ProcessCheck
from assessments.verified.bindings import check_bind, check_tune, check_unbind
from assessments.verified.evidence import evidence_accept, evidence_add
from tests.assessments.conftest import NOW
from tests.assessments.test_check_views import check_block, page_url
from tests.assessments.test_verified_evaluate import CHECK, line, scored  # noqa: F401 (fixtures)
from tests.conftest import client_for, make_user
from tests.user_text_walk import elements

VARIES = "mfg-2-machine-data-varies"
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def bind(assessment, integration, user, key=CHECK, metric=""):
    process = assessment.process_scores.get().process
    check_bind(
        process=process,
        framework=assessment.framework,
        check_key=key,
        role=assessment.framework.definition.check(key).roles[0],
        integration=integration,
        metric=metric,
        user=user,
    )
    return ProcessCheck.objects.get(process=process, check_key=key)


def actions(block: str) -> list[str]:
    """The listed actions' labels, newest first."""
    return re.findall(r'<span class="action-head"><strong>([^<]+)</strong>', block)


def block_of(html, key):
    start = html.index(f'id="check-{key}"')
    return html[start : html.index("</article>", start)]


def test_each_check_lists_its_own_bindings_and_changes_newest_first(scored, line, owner):  # noqa: F811
    with time_machine.travel(NOW - 3 * DAY, tick=False):
        row = bind(scored, line, owner)
        bind(scored, line, owner, key=VARIES, metric="temp")
    with time_machine.travel(NOW - 2 * DAY, tick=False):
        check_tune(process_check=row, user=owner, threshold=0.99, grace_days=3)
    with time_machine.travel(NOW - DAY, tick=False):
        check_unbind(process_check=row, user=owner)
    with time_machine.travel(NOW, tick=False):
        html = client_for(owner).get(page_url(scored)).content.decode()
    uptime, varies = block_of(html, CHECK), block_of(html, VARIES)
    assert actions(uptime) == ["Unbound", "Threshold or grace changed", "Bound"]
    assert actions(varies) == ["Bound"]
    assert "Bindings and changes (3)" in uptime and "Bindings and changes (1)" in varies
    assert '<details class="check-actions">' in uptime  # folded until opened
    assert "threshold:</span> framework&#x27;s → 0.99" in uptime
    assert "grace days:</span> framework&#x27;s → 3" in uptime
    assert "integration:</span> – → Press line" in uptime
    assert "by owner@acme.test" in uptime and "22 Nov 2026 10:00" in uptime
    assert "metric:</span> – → temp" in varies and "0.99" not in varies


def test_the_evidence_lists_who_added_and_accepted_it(scored, owner, member, frozen):  # noqa: F811
    process = scored.process_scores.get().process
    key = scored.framework.definition.criteria_for(process.area, 1)[0].key
    item = evidence_add(
        process=process,
        framework=scored.framework,
        criterion_key=key,
        description="Shift log",
        effective=NOW.date(),
        user=member,
    )
    evidence_accept(evidence=item, user=owner, accept=True, now=NOW)
    html = client_for(owner).get(page_url(scored)).content.decode()
    start = html.index(f'id="verify-{key}"')
    block = html[start : html.index('class="evidence-form"', start)]
    assert actions(block) == ["Evidence accepted", "Evidence added"]
    assert "by member@acme.test" in block and "accepted:</span> no → yes" in block


def test_an_auditor_sees_only_the_events_of_their_window(org, scored, line, owner):  # noqa: F811
    auditor = make_user("auditor@audit.test")
    Membership.objects.create(
        user=auditor,
        organization=org,
        role=Role.AUDITOR,
        observe_from=date(2026, 11, 1),
        observe_to=date(2026, 11, 20),
    )
    scored.assessed_on = date(2026, 11, 10)
    scored.save()
    with time_machine.travel(NOW - 20 * DAY, tick=False):  # 5 November: inside
        row = bind(scored, line, owner)
    with time_machine.travel(NOW - 2 * DAY, tick=False):  # 23 November: after the window
        check_tune(process_check=row, user=owner, threshold=0.99, grace_days=None)
    with time_machine.travel(NOW, tick=False):
        seen = client_for(auditor).get(page_url(scored)).content.decode()
        everything = client_for(owner).get(page_url(scored)).content.decode()
    assert actions(check_block(seen)) == ["Bound"]
    assert actions(check_block(everything)) == ["Threshold or grace changed", "Bound"]


def test_a_final_assessment_lists_only_what_was_done_before_it_became_final(
    scored,  # noqa: F811
    line,  # noqa: F811
    owner,
):
    with time_machine.travel(NOW - DAY, tick=False):
        row = bind(scored, line, owner)
        assessment_finalize(assessment=scored, user=owner)
    with time_machine.travel(NOW, tick=False):
        check_tune(process_check=row, user=owner, threshold=0.99, grace_days=None)
        html = client_for(owner).get(page_url(scored)).content.decode()
    assert actions(check_block(html)) == ["Bound"]


def test_hostile_names_in_the_events_are_inert(scored, owner, line, frozen):  # noqa: F811
    line.name = '"><div hx-trigger=load hx-get=/o/acme/members/>x</div>'  # fits a name
    line.save()
    bind(scored, line, owner)
    html = client_for(owner).get(page_url(scored)).content.decode()
    block = check_block(html)
    listed = block[block.index('class="check-actions"') :]
    assert "→ &quot;&gt;&lt;div hx-trigger=load" in listed
    assert not [e for e in elements(html) if e.get("hx-get") == "/o/acme/members/"]
