"""A both_directions check needs two integrations: one integration bound to both roles would
judge a single flow as flowing both ways. Refused by the service, the process page's form and
the checks page's form, with the error next to the field; swapping the two is allowed."""

import pytest
from django.urls import reverse

from assessments.models.verification import CheckBinding
from assessments.verified.bindings import BindingRefused, check_bind, check_bind_roles
from integration.models import Integration
from tests.assessments.conftest import NOW, make_assessment, make_process
from tests.conftest import client_for

BOTH = "mfg-3-orders-and-confirmations"


@pytest.fixture
def setup(org, framework):
    process = make_process(org)
    assessment = make_assessment(org, framework, [process])
    erp = Integration.objects.create(organization=org, name="ERP orders", created=NOW)
    mes = Integration.objects.create(organization=org, name="MES confirmations", created=NOW)
    roles = framework.definition.check(BOTH).roles
    return process, assessment, erp, mes, roles


def bind(setup, framework, owner, role, integration):
    process, _, _, _, roles = setup
    check_bind(
        process=process,
        framework=framework,
        check_key=BOTH,
        role=roles[role],
        integration=integration,
        user=owner,
    )


def test_the_service_refuses_one_integration_for_both_roles(setup, framework, owner):
    process, _, erp, mes, roles = setup
    bind(setup, framework, owner, 0, erp)
    with pytest.raises(BindingRefused, match=f"ERP orders already plays “{roles[0]}”"):
        bind(setup, framework, owner, 1, erp)
    assert list(CheckBinding.objects.values_list("role", flat=True)) == [roles[0]]
    bind(setup, framework, owner, 1, mes)
    with pytest.raises(BindingRefused, match="two different integrations"):
        check_bind_roles(
            process=process,
            framework=framework,
            check_key=BOTH,
            bound={roles[0]: (mes, ""), roles[1]: (mes, "")},
            user=owner,
        )
    # Swapped at once: each role is checked against the other's new integration.
    check_bind_roles(
        process=process,
        framework=framework,
        check_key=BOTH,
        bound={roles[0]: (mes, ""), roles[1]: (erp, "")},
        user=owner,
    )
    bound = dict(CheckBinding.objects.values_list("role", "integration__name"))
    assert bound == {roles[0]: "MES confirmations", roles[1]: "ERP orders"}


def test_the_process_page_shows_the_error_next_to_the_field(setup, owner):
    process, assessment, erp, _, _ = setup
    score = assessment.process_scores.get()
    client = client_for(owner)
    for name in ("check-bind", "check-preview"):
        url = reverse(f"assessments:{name}", args=["acme", assessment.pk, score.pk, BOTH])
        response = client.post(url, {"integration_0": erp.pk, "integration_1": erp.pk})
        assert response.status_code == 400
        page = response.content.decode()
        error = page.split(f'id="error-bind-{BOTH}"')[1].split("</p>")[0]
        assert "two different integrations" in error, name
    assert not CheckBinding.objects.exists()


def test_the_checks_page_shows_the_error_next_to_the_integration(setup, framework, owner):
    process, _, erp, _, roles = setup
    bind(setup, framework, owner, 0, erp)
    response = client_for(owner).post(
        reverse("assessments:check-bindings", args=["acme"]),
        {"check_role": f"{BOTH}::{roles[1]}", "integration": erp.pk, "processes": [process.pk]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    error = page.split('id="id_integration_error"')[1].split("</p>")[0]
    assert "ERP orders already plays" in error
    assert CheckBinding.objects.count() == 1


def test_the_board_and_the_verification_list_both_bindings_by_role(setup, framework, owner):
    """The bindings are grouped by hand for the board (no prefetch per check): each check keeps
    its own, in role order, with who bound them, wherever they were bound from."""
    from assessments.figures import figures_of
    from assessments.verified.board import board
    from assessments.verified.status import live_verification

    process, assessment, erp, mes, roles = setup
    bind(setup, framework, owner, 1, mes)  # the second role first
    bind(setup, framework, owner, 0, erp)
    first, second = sorted(roles)
    named = {roles[0]: "ERP orders", roles[1]: "MES confirmations"}
    expected = f"{first}: {named[first]}; {second}: {named[second]}"
    [row] = board([process], framework, now=NOW)
    [view] = [c for c in row.checks if c.key == BOTH]
    assert view.bound_to == expected
    assert {b.bound_by for b in view.bindings} == {owner.email}
    verification = live_verification(figures_of([assessment])[assessment.pk], now=NOW)
    views = [
        check
        for p in verification.processes.values()
        for criterion in p.criteria
        for check in criterion.checks
        if check.key == BOTH
    ]
    assert views and all(v.bound_to == expected for v in views)
