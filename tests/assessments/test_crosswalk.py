"""The crosswalk to SIRI and acatech: the file validated like the framework, the profile computed
by the rules in assessments/crosswalk.py (values worked out by hand), and shown as indicative."""

import dataclasses
import re
from datetime import date

import pytest
from django.urls import reverse

from assessments.crosswalk import NO_DATA, NOT_COVERED, ProcessLevel, profile
from assessments.framework.crosswalk import (
    ACATECH_STAGES,
    CROSSWALKS_DIR,
    MAX_BYTES,
    SIRI_DIMENSIONS,
    crosswalk_for,
    parse_crosswalk,
)
from assessments.framework.fields import FrameworkError
from assessments.framework.loading import FRAMEWORKS_DIR, default_framework, load_framework
from tests.assessments.conftest import answer_dimension, make_process, scored_assessment
from tests.conftest import client_for

HEAD = 'framework: ladder\nversion: "2026.2"\n'


def parse(body: str):
    return parse_crosswalk(HEAD + body, "test.yaml", default_framework())


# --- The file ---------------------------------------------------------------------------------


def test_the_default_framework_ships_a_crosswalk():
    crosswalk = crosswalk_for(default_framework())
    assert crosswalk is not None
    assert [s.key for s in crosswalk.siri] == [key for _, _, key, _ in SIRI_DIMENSIONS]
    assert len({(b, p) for b, p, _, _ in SIRI_DIMENSIONS}) == 8
    assert len({b for b, _, _, _ in SIRI_DIMENSIONS}) == 3
    # every criterion of the framework evidences exactly one acatech stage
    assert sorted(c.key for c in crosswalk.acatech) == sorted(
        c.key for c in default_framework().criteria
    )
    assert {c.value for c in crosswalk.acatech} == set(range(1, len(ACATECH_STAGES) + 1))


def test_a_framework_without_a_crosswalk_file_has_none():
    v1 = load_framework(FRAMEWORKS_DIR / "ladder-2026.1.yaml")
    assert not (CROSSWALKS_DIR / "ladder-2026.1.yaml").exists()
    assert crosswalk_for(v1) is None


def test_an_uploaded_framework_reusing_the_shipped_version_gets_no_crosswalk():
    shipped = default_framework()
    changed = dataclasses.replace(shipped, title="Our own framework")
    assert crosswalk_for(changed) is None


VI = "siri:\n  vertical-integration:\n    criteria: "
LC = "siri:\n  leadership-competency:\n    "
TWICE = "acatech:\n  connectivity: [mfg-2-machine-data]\n  visibility: [mfg-2-machine-data]\n"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (VI + "{no-such-criterion: 2}\n", "unknown criterion no-such-criterion"),
        (VI + "{mfg-2-machine-data: 6}\n", "less than or equal to 5"),
        (VI + "{mfg-2-machine-data: -1}\n", "greater than or equal to 0"),
        (VI + "{mfg-2-machine-data: true}\n", "valid integer"),
        (VI + "{mfg-2-machine-data: '2'}\n", "valid integer"),
        ("siri:\n  quantum-readiness: {}\n", "quantum-readiness: not a SIRI dimension"),
        (LC + "readiness: [morale]\n", "unknown readiness dimension morale"),
        (LC + "weight: 2\n", "Extra inputs are not permitted"),
        ("acatech:\n  autonomy: [mfg-2-machine-data]\n", "Extra inputs are not permitted"),
        (TWICE, "mfg-2-machine-data is already at another stage"),
        ("acatech:\n  visibility: [nope]\n", "acatech.visibility: unknown criterion nope"),
        ("siri: [1, 2]\n", "valid dictionary"),
        ("siri: {: \n", "invalid YAML"),
    ],
)
def test_a_crosswalk_is_refused(body, problem):
    with pytest.raises(FrameworkError) as refused:
        parse(body)
    assert problem in str(refused.value)
    assert str(refused.value).startswith("test.yaml: ")


def test_a_crosswalk_for_another_version_is_refused():
    text = 'framework: ladder\nversion: "2026.1"\n'
    with pytest.raises(FrameworkError, match="maps ladder 2026.1, not ladder 2026.2"):
        parse_crosswalk(text, "x.yaml", default_framework())


def test_size_is_capped():
    padding = "# " + "x" * MAX_BYTES + "\n"
    with pytest.raises(FrameworkError, match=f"larger than {MAX_BYTES} bytes"):
        parse(padding)
    keys = "".join(f"      - mfg-2-machine-data-{i}\n" for i in range(101))
    with pytest.raises(FrameworkError, match="at most 100 items"):
        parse("siri:\n  leadership-competency:\n    readiness:\n" + keys)


# --- The computation --------------------------------------------------------------------------

SMALL = parse(
    """
siri:
  vertical-integration:
    criteria:
      mfg-1-digital-records: 1
      mfg-2-machine-data: 2
      mfg-3-mes-erp-integrated: 3
      mfg-4-closed-loop-quality: 5
      log-3-wms-wcs-integration: 3
    readiness: [integration-architecture]
  strategy-governance:
    readiness: [goal-alignment]
  enterprise-automation:
    criteria: {fin-2-automatic-capture: 2}
acatech:
  computerisation: [mfg-1-digital-records, log-1-wms]
  connectivity: [mfg-2-machine-data]
  visibility: [mfg-2-live-oee]
  transparency: [mfg-3-mes-erp-integrated, log-3-wms-wcs-integration]
  adaptability: [mfg-4-closed-loop-quality]
"""
)  # fmt: skip

PRESS2 = ProcessLevel("Press", "manufacturing", 2)
PRESS4 = ProcessLevel("Press", "manufacturing", 4)
WAREHOUSE0 = ProcessLevel("Warehouse", "logistics", 0)
WAREHOUSE3 = ProcessLevel("Warehouse", "logistics", 3)
SHOP = ProcessLevel("Shop", "retail", 4)  # retail: nothing mapped, never counted


@pytest.mark.parametrize(
    ("processes", "readiness", "vertical", "strategy", "automation", "stage"),
    [
        # nothing scored, nothing answered: mapped but no data
        ([], {}, None, None, None, None),
        # press at 2 reaches band 2 (machine data) and stages 1-3 (live OEE is a level-2 criterion)
        ([PRESS2], {}, 2, None, None, 3),
        # + readiness 2.5 -> 3.125: mean(2, 3.125) = 2.5625 -> 2
        ([PRESS2], {"integration-architecture": 2.5}, 2, None, None, 3),
        # + readiness 4 -> 5: mean(2, 5) = 3.5 -> 3
        ([PRESS2], {"integration-architecture": 4.0}, 3, None, None, 3),
        # a warehouse at 0 reaches nothing: mean(2, 0) = 1; stages mean(3, 0) = 1.5 -> 1
        ([PRESS2, WAREHOUSE0], {}, 1, None, None, 1),
        # warehouse at 3 reaches band 3 and transparency (4): mean(2, 3) = 2.5 -> 2; (3+4)/2 -> 3
        ([PRESS2, WAREHOUSE3], {}, 2, None, None, 3),
        # press at 4: band 5, stage 6 (adaptability); with warehouse 3: mean(5, 3) = 4, (6+4)/2 = 5
        ([PRESS4, WAREHOUSE3], {}, 4, None, None, 5),
        # a retail process has nothing mapped: it changes nothing
        ([PRESS4, WAREHOUSE3, SHOP], {}, 4, None, None, 5),
        # strategy from goal alignment alone: 1.6 * 5/4 = 2 exactly -> 2 (no float rounding down)
        ([], {"goal-alignment": 1.6}, None, 2, None, None),
        ([], {"goal-alignment": 4.0}, None, 5, None, None),
        ([], {"goal-alignment": 0.75}, None, 0, None, None),
    ],
)  # fmt: skip
def test_profile(processes, readiness, vertical, strategy, automation, stage):
    result = profile(SMALL, processes, readiness)
    bands = {s.key: s for s in result.siri}
    assert bands["vertical-integration"].band == vertical
    assert bands["strategy-governance"].band == strategy
    assert bands["enterprise-automation"].band == automation
    assert result.acatech == stage


def test_unmapped_siri_dimensions_are_not_covered_and_mapped_ones_without_figures_have_no_data():
    result = profile(SMALL, [PRESS2], {})
    shown = {s.key: s.display for s in result.siri}
    assert shown["integrated-product-lifecycle"] == NOT_COVERED
    assert shown["enterprise-automation"] == NO_DATA
    assert shown["vertical-integration"] == "2"
    assert result.covered == 3
    assert result.acatech_name == "Visibility"
    assert [(p.name, p.stage) for p in result.processes] == [("Press", 3)]
    assert profile(SMALL, [], {}).acatech_name == NO_DATA


# --- Shown, and labelled indicative -----------------------------------------------------------


@pytest.fixture
def assessed(org, framework, owner):
    """Press line at 2, Stock counts (logistics) at 1; readiness as in the report fixture."""
    press = make_process(org, "Press line", value=5)
    stock = make_process(org, "Stock counts", area="logistics", value=3)
    assessment = scored_assessment(
        org,
        framework,
        owner,
        [press, stock],
        levels={press.name: 2, stock.name: 1},
        title="Q4 review",
        assessed_on=date(2026, 11, 20),
    )
    answer_dimension(assessment, owner, "connectivity", it=3, ot=1)  # 2
    answer_dimension(assessment, owner, "security", it=2, ot=3)  # 2.5
    answer_dimension(assessment, owner, "integration-architecture", it=2, ot=2)  # 2
    answer_dimension(assessment, owner, "collaboration", it=4, ot=2)  # 3
    return assessment


# Worked out from the shipped crosswalk: press (manufacturing, 2), stock (logistics, 1).
EXPECTED = {
    # press 2, stock 1 (log-1-wms), integration architecture 2 * 5/4 = 2.5: 5.5 / 3 -> 1
    "vertical-integration": "1",
    # only stock counts (log-1-digital-shipping): 1
    "horizontal-integration": "1",
    "integrated-product-lifecycle": NOT_COVERED,
    # press 0 (level 4 criterion), stock 0 (scanning is level 2): 0
    "shop-floor-automation": "0",
    # finance and retail only: no such process
    "enterprise-automation": NO_DATA,
    # press 2, stock 0, connectivity 2.5, security 3.125: 7.625 / 4 -> 1
    "shop-floor-connectivity": "1",
    # press 0, stock 0, integration architecture 2.5: 2.5 / 3 -> 0
    "enterprise-connectivity": "0",
    # connectivity 2.5 -> 2
    "facility-connectivity": "2",
    # press 2, stock 0: 1
    "shop-floor-intelligence": "1",
    # press 0, collaboration 3.75: 1.875 -> 1
    "inter-intra-company-collaboration": "1",
    "workforce-learning-development": NO_DATA,
}
# press reaches visibility (3), stock computerisation (1): 2, connectivity
EXPECTED_STAGE = "2 Connectivity"


def test_the_dashboard_shows_the_indicative_profile(assessed, owner):
    url = reverse(
        "assessments:assessment-dashboard", args=[assessed.organization.slug, assessed.pk]
    )
    html = client_for(owner).get(url).content.decode()
    assert "Indicative SIRI profile" in html
    assert "not an official SIRI or acatech assessment" in html
    assert f'<span data-figure="acatech_stage">{EXPECTED_STAGE}</span>' in html
    for key, shown in EXPECTED.items():
        assert re.search(rf'data-siri="{key}">{shown}</td>', html), key


def test_the_dashboard_has_no_card_without_a_crosswalk(org, owner, db):
    from assessments.models import Assessment, FrameworkVersion

    v1 = FrameworkVersion.objects.shipped(load_framework(FRAMEWORKS_DIR / "ladder-2026.1.yaml"))
    assessment = Assessment.objects.create(organization=org, framework=v1, title="Old")
    url = reverse(
        "assessments:assessment-dashboard", args=[assessment.organization.slug, assessment.pk]
    )
    html = client_for(owner).get(url).content.decode()
    assert "data-crosswalk" not in html
    assert "Indicative SIRI" not in html


def test_the_report_shows_the_indicative_profile(
    assessed, consultant, media, django_capture_on_commit_callbacks
):
    from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text

    report = build_report(consultant, assessed, capture=django_capture_on_commit_callbacks)
    reader = pdf_of(report)
    text = pdf_text(reader)
    assert "Indicative SIRI profile and acatech stage" in text
    assert "not an official SIRI or acatech assessment" in text
    assert f"Indicative acatech stage: {EXPECTED_STAGE} of 6" in text
    assert "per process: Press line 3 · Stock counts 1" in text
    assert "Vertical integration 1" in text
    assert "Integrated product lifecycle not covered" in text
    assert "Enterprise automation no data yet" in text
    assert "Shop floor connectivity 1" in text
    assert "Facility connectivity 2" in text
    pages = [p.extract_text() for p in reader.pages]
    section = [i for i, p in enumerate(pages) if "Indicative acatech stage:" in p]
    assert len(section) == 1  # under a page
    assert "Standing among peers" in pages[1]  # the contents list it too
    assert re.search(r"Indicative SIRI profile and acatech stage[ .]*\d+", pages[1])
    assert report.figures["indicative"]["acatech"] == 2
    assert report.figures["indicative"]["siri"]["facility-connectivity"] == "2"
