"""Evidence links: only web addresses are accepted, and only they become links in the PDF."""

import pytest

from assessments.forms.assessments import CriterionAnswerForm
from assessments.reports.appendix import web_link

NOT_WEB = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]


@pytest.mark.parametrize("url", NOT_WEB)
def test_the_answer_form_refuses_a_link_that_is_not_a_web_address(url):
    form = CriterionAnswerForm({"criterion_key": "c", "status": "fully", "evidence_url": url})
    assert not form.is_valid()
    assert "evidence_url" in form.errors


@pytest.mark.parametrize("url", NOT_WEB)
def test_a_link_that_is_not_a_web_address_is_no_link_in_the_pdf(url):
    assert web_link(url) == ""


@pytest.mark.parametrize("url", ["https://mes.acme.test/line3", "HTTP://wiki.acme.test/p"])
def test_a_web_address_is_a_link_in_the_pdf(url):
    assert web_link(url) == url
