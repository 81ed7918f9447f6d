"""Organisations that contribute to the benchmarks, for the benchmark tests."""

from accounts.models import Organization
from accounts.services import benchmark_opt_in_set
from assessments.figures import assessment_figures
from assessments.verified.status import freeze_verification
from tests.assessments.conftest import answer_dimension, make_process, scored_assessment
from tests.conftest import make_user


def contributor(
    slug, framework, level, *, industry="manufacturing", opted=True, verified=False, ready=2
):
    """An organisation with one final assessment: a manufacturing process at `level` and
    connectivity readiness `ready` on both sides; opted in unless told not."""
    org = Organization.objects.create(name=f"Peer {slug}", slug=slug, industry=industry)
    owner = make_user(f"owner@{slug}.example", org, "owner")
    process = make_process(org, "Line", value=1)
    assessment = scored_assessment(
        org, framework, owner, [process], levels={"Line": level}, title="Final"
    )
    answer_dimension(assessment, owner, "connectivity", it=ready, ot=ready)
    assessment.finalize()
    if verified:
        freeze_verification(assessment_figures(assessment), now=assessment.finalized)
    if opted:
        benchmark_opt_in_set(organization=org, user=owner, opt_in=True)
    return org


def contributors(framework, levels, *, prefix="p", **options):
    return [
        contributor(f"{prefix}{i}", framework, level, **options) for i, level in enumerate(levels)
    ]
