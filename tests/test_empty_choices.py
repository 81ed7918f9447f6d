"""No select offers Django's "---------": an optional choice says what choosing nothing means.

The pages are those of the user-text walk (every organisation page and the pages outside one
that show its data), filled with one of each thing so that every form has its choices."""

from tests.assessments.conftest import framework, frozen, media, scored  # noqa: F401 (fixtures)
from tests.conftest import client_for
from tests.user_text_walk import everything, urls  # noqa: F401 (fixture)

PLACEHOLDER = "---------"


def test_no_page_offers_the_dashes_placeholder(org, owner, everything):  # noqa: F811
    client = client_for(owner)
    shown = []
    for url in urls(org, owner, everything):
        response = client.get(url)
        if "html" in response.get("Content-Type", "") and PLACEHOLDER in response.text:
            shown.append(url)
    assert not shown, "\n".join(shown)
