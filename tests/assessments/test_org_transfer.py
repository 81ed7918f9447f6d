"""`export_org` / `import_org`: a whole organisation moves and its figures come out the same."""

import json
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from accounts.models import Organization, User
from assessments.models import (
    Assessment,
    FrameworkVersion,
    Milestone,
    ProcessScore,
)
from assessments.roadmaps.regenerate import roadmap_regenerate
from integration.models import HealthEvent, IngestToken, MinuteRollup, Point
from integration.services import telemetry_series
from tests.assessments.org_transfer_helpers import (  # noqa: F401 (fixture)
    acme_fixture,
    clear_database,
    export,
    import_,
    picture,
    read,
)


def test_import_under_another_slug_gives_the_same_figures_roadmaps_health_and_charts(
    acme, tmp_path
):
    now = timezone.now()
    path = export(acme, tmp_path=tmp_path)
    output = import_(path, "--slug", "acme-copy", "--name", "Acme (copy)")

    copy = Organization.objects.get(slug="acme-copy")
    assert copy.name == "Acme (copy)"
    before, after = picture(acme, now), picture(copy, now)
    for section in before:
        assert after[section] == before[section], section
    assert before["states"] == {
        "Baseline, last quarter": ("final", None),
        "Current assessment": ("draft", "Baseline, last quarter"),
        "On our own ladder": ("final", None),
    }
    assert len(before["agreements"]) == 2 and len(before["answers"]) > 100
    assert len(before["audit"]) > 10
    # Nothing is bound in this organisation: its claims rest on the answers alone.
    assert any(claimed > verified for claimed, verified, *_ in before["verified"].values())
    assert any(rows for rows in before["charts"].values())
    # Uptime is counted from minutes derived again on import (`SeenMinutes`), not copied.
    uptimes = [h.uptime["24h"] for h in before["health_listed"].values()]
    assert any(uptimes), uptimes
    # Same install: every integration id is taken, so each gets a new one and the output says so.
    assert "has a new id" in output and "issue new tokens for" in output
    assert not set(acme.integrations.values_list("pk", flat=True)) & set(
        copy.integrations.values_list("pk", flat=True)
    )
    copy_milestones = Milestone.objects.filter(roadmap__organization=copy)
    assert copy_milestones.exclude(key="").exists()
    assert all(  # generated milestones still name their (new) process, so regeneration works
        m.key == f"step:{m.process_id}:{m.to_level}"
        for m in copy_milestones.filter(kind=Milestone.Kind.STEP)
    )
    assert "without a password" not in output  # everybody was here already


def test_a_moved_roadmap_regenerates_as_the_original_does(acme, tmp_path):
    import_(export(acme, tmp_path=tmp_path), "--slug", "acme-copy")
    copy = Organization.objects.get(slug="acme-copy")
    now = timezone.now()
    reports = []
    for org in (acme, copy):
        roadmap = org.roadmaps.get()
        report = roadmap_regenerate(
            roadmap=roadmap, assessment=roadmap.assessment, user=None, now=now
        )
        reports.append((report.summary(), report.lines()))
    assert reports[1] == reports[0]
    # The generated milestones were recognised: none was added again.
    assert reports[1][1] and not any(line.startswith("Added") for line in reports[1][1])


def test_import_into_a_cleared_database_keeps_ids_and_creates_people_without_password(
    acme, tmp_path
):
    now = timezone.now()
    before = picture(acme, now)
    ids = set(acme.integrations.values_list("pk", flat=True))
    path = export(acme, tmp_path=tmp_path)
    clear_database()

    output = import_(path)

    org = Organization.objects.get(slug="acme")
    assert picture(org, now) == before
    assert set(org.integrations.values_list("pk", flat=True)) == ids
    assert "has a new id" not in output
    people = User.objects.all()
    assert people.filter(email="coo@acme.example").exists()
    assert not any(u.has_usable_password() for u in people)
    assert f"{people.count()} people were created without a password" in output
    assert "coo@acme.example" in output
    roles = dict(org.memberships.values_list("user__email", "role"))
    assert roles["coo@acme.example"] == "owner" and roles["viewer@acme.example"] == "viewer"
    own = FrameworkVersion.objects.get(organization=org)
    assert (own.key, own.title) == ("acme-ladder", "Acme's own ladder")
    assert HealthEvent.objects.filter(integration__organization=org, note="cut").count() == 1


def test_exporting_the_import_gives_the_same_document(acme, tmp_path):
    path = export(acme, tmp_path=tmp_path)
    clear_database()
    import_(path)
    again = export(Organization.objects.get(slug="acme"), tmp_path=tmp_path, name="again.json")

    first, second = read(path), read(again)
    assert first.pop("exported_at") != "" and second.pop("exported_at") != ""
    assert second == first


def test_exporting_an_import_under_another_slug_differs_in_slug_name_and_ids_only(acme, tmp_path):
    path = export(acme, tmp_path=tmp_path)
    import_(path, "--slug", "acme-2", "--name", "Acme 2")
    again = export(Organization.objects.get(slug="acme-2"), tmp_path=tmp_path, name="2.json")

    first, second = read(path), read(again)
    for document in (first, second):
        del document["exported_at"], document["organization"]["slug"]
        del document["organization"]["name"]
        for integration in document["integrations"]:
            assert integration.pop("id")
    assert second == first


def test_a_step_whose_process_is_gone_keeps_a_key_that_names_no_process(acme, tmp_path):
    milestone = Milestone.objects.filter(roadmap__organization=acme, kind="step").first()
    Milestone.objects.filter(pk=milestone.pk).update(key="step:999999:3", process=None)
    path = export(acme, tmp_path=tmp_path)
    import_(path, "--slug", "acme-copy")
    again = export(Organization.objects.get(slug="acme-copy"), tmp_path=tmp_path, name="2.json")

    keys = [m["key"] for m in read(path)["roadmaps"][0]["milestones"]]
    assert "step:(gone) 999999:3" in keys
    assert [m["key"] for m in read(again)["roadmaps"][0]["milestones"]] == keys
    copy = Milestone.objects.get(roadmap__organization__slug="acme-copy", key__contains="gone")
    assert (copy.key, copy.process, copy.title) == ("step:(gone) 999999:3", None, milestone.title)


def test_the_document_holds_no_ingest_token(acme, tmp_path):
    integration = acme.integrations.order_by("name").first()
    _, raw = IngestToken.objects.issue(integration=integration, name="press")
    text = Path(export(acme, tmp_path=tmp_path)).read_text(encoding="utf-8")

    tokens = IngestToken.objects.filter(integration__organization=acme)
    assert tokens.count() > 1
    assert raw not in text
    assert not any(t.hash in text for t in tokens)
    # Only the audit trail mentions tokens (that they were issued, with their first letters).
    assert not any("token" in key for i in json.loads(text)["integrations"] for key in i)
    import_(str(tmp_path / "acme.json"), "--slug", "acme-copy")
    assert not IngestToken.objects.filter(integration__organization__slug="acme-copy").exists()


def test_raw_points_travel_only_when_asked(acme, tmp_path):
    without = read(export(acme, tmp_path=tmp_path))
    series = without["integrations"][0]["metrics"][0]["series"][0]
    assert "points" not in series and series["minute_rollups"]
    path = export(acme, "--with-points", tmp_path=tmp_path, name="points.json")
    output = import_(path, "--slug", "acme-points")

    copy = Organization.objects.get(slug="acme-points")
    stored = Point.objects.filter(series__metric__integration__organization=acme).count()
    assert stored > 0
    assert Point.objects.filter(series__metric__integration__organization=copy).count() == stored
    assert f"{stored} points" in output
    now = timezone.now()
    for integration in acme.integrations.all():
        twin = copy.integrations.get(name=integration.name)
        for metric in integration.metrics.filter(series__isnull=False).distinct():
            window = {"start": now - timedelta(days=1), "end": now, "metric": metric.name}
            assert telemetry_series(integration=integration, **window) == telemetry_series(
                integration=twin, **window
            )


def test_a_final_assessment_whose_process_changed_since_moves_with_its_figures(acme, tmp_path):
    final = acme.assessments.get(title="Baseline, last quarter")
    final.state = Assessment.State.DRAFT  # finalize again, so its processes are frozen now
    final.save()
    final.finalize()
    score = final.process_scores.select_related("process").first()
    process = score.process
    old_name, old_value = process.name, process.business_value
    process.name, process.business_value = f"{old_name} (renamed)", 6 - old_value
    process.save()
    now = timezone.now()
    path = export(acme, tmp_path=tmp_path)
    import_(path, "--slug", "acme-copy", "--name", "Acme (copy)")

    copy = Organization.objects.get(slug="acme-copy")
    before, after = picture(acme, now), picture(copy, now)
    for section in before:
        assert after[section] == before[section], section
    moved = ProcessScore.objects.get(
        assessment__organization=copy, assessment__title=final.title, frozen_name=old_name
    )
    assert (moved.process.name, moved.frozen_business_value) == (process.name, old_value)


def test_an_imported_assessment_keeps_its_note_of_the_file_it_came_from(acme, tmp_path):
    assessment = acme.assessments.first()
    note = "Imported by coo@acme.example from a file naming the assessors x@acme.example."
    Assessment.objects.filter(pk=assessment.pk).update(imported_note=note)
    import_(export(acme, tmp_path=tmp_path), "--slug", "acme-copy", "--name", "Acme (copy)")

    moved = Assessment.objects.get(organization__slug="acme-copy", title=assessment.title)
    assert moved.imported_note == note


def _as_before_the_activity_moved(document: dict) -> dict:
    """The document as Ladder wrote it while each roadmap kept its own activity log: the log's
    lines in the roadmap, and the same changes, without their text, in the audit section."""
    for roadmap in document["roadmaps"]:
        roadmap["activity"] = []
    for event in document["audit"]:
        roadmap, milestone, text = event.pop("roadmap"), event.pop("milestone"), event.pop("text")
        if roadmap is not None:
            line = {"milestone": milestone, "actor": event["actor"], "action": event["action"]}
            line |= {"text": text, "created": event["at"]}
            document["roadmaps"][roadmap]["activity"].append(line)
    return document


def test_a_document_with_the_roadmaps_own_activity_log_still_imports(acme, tmp_path):
    now = timezone.now()
    document = _as_before_the_activity_moved(read(export(acme, tmp_path=tmp_path)))
    first = next(i for i, e in enumerate(document["audit"]) if e["area"] == "roadmaps")
    del document["audit"][first]  # a line older than the audit trail: no event beside it
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    import_(str(path), "--slug", "acme-old", "--name", "Acme (old)")

    copy = Organization.objects.get(slug="acme-old")
    assert picture(copy, now)["roadmaps"] == picture(acme, now)["roadmaps"]
    assert copy.audit_events.count() == acme.audit_events.count()  # each change once
    lines = sum(len(r["activity"]) for r in document["roadmaps"])
    assert lines and copy.audit_events.exclude(text="").count() == lines


def test_rollups_travel_with_their_arrival_and_older_rows_import_without(acme, tmp_path):
    document = read(export(acme, tmp_path=tmp_path))
    rollups = [
        rows
        for integration in document["integrations"]
        for metric in integration["metrics"]
        for series in metric["series"]
        for rows in (series["minute_rollups"], series["hour_rollups"])
    ]
    assert all(len(row) == 11 and row[9] and row[10] for rows in rollups for row in rows)
    for rows in rollups:
        rows[:] = [row[:9] for row in rows]  # as documents before arrivals were kept
    older = tmp_path / "older.json"
    older.write_text(json.dumps(document), encoding="utf-8")
    import_(str(older), "--slug", "acme-older")

    copied = MinuteRollup.objects.filter(
        series__metric__integration__organization__slug="acme-older"
    )
    assert copied.exists()
    assert not copied.filter(first_arrival__isnull=False).exists()


def test_an_auditors_window_moves_with_the_organisation(acme, tmp_path):
    from datetime import date

    from accounts.models import Membership, Role

    auditor = User.objects.create_user(email="auditor@audit.test")
    Membership.objects.create(
        user=auditor,
        organization=acme,
        role=Role.AUDITOR,
        observe_from=date(2026, 1, 1),
        observe_to=date(2026, 6, 30),
    )
    path = export(acme, tmp_path=tmp_path)
    clear_database()
    import_(path)
    moved = Membership.objects.get(user__email="auditor@audit.test")
    assert (moved.role, moved.window) == ("auditor", (date(2026, 1, 1), date(2026, 6, 30)))
