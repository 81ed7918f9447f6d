"""User-written text is inert on every page: escaped, and inside an element htmx ignores.

CSP stops injected scripts but not injected htmx attributes: `<div hx-post=... hx-trigger=load>`
in a name would make htmx send a request as whoever opens the page. So user text is escaped
(Django's autoescape, no `|safe`), and every element that shows it carries `hx-disable`, which
makes htmx skip the element and its children even if an escaping mistake lets markup through.

The page walk fills every user-writable text field of every model with a marker of its own
that is also a payload, renders every organisation page (the URL list of test_tenancy) and a few
others, and checks each place a marker lands.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from assessments.models import (
    Assessment,
    Process,
    ProcessScore,
)
from tests.assessments.conftest import framework, frozen, media, scored  # noqa: F401 (fixtures)
from tests.conftest import client_for, make_user
from tests.hostile_text import HOSTILE, HTMX_INVITE
from tests.user_text_walk import (  # noqa: F401 (fixture)
    MARKER,
    NOT_ON_PAGES,
    Page,
    elements,
    everything,
    put_markers,
    urls,
)


def test_a_departed_owners_name_cannot_make_htmx_post_for_the_owner(org, owner):
    """The process owner's name went into a help text shown with |safe."""
    departed = make_user("gone@acme.test", first_name=HTMX_INVITE)
    process = Process.objects.create(
        organization=org, name="Press line", area="manufacturing", owner=departed
    )
    url = reverse("assessments:process-edit", args=[org.slug, process.pk])
    html = client_for(owner).get(url).content.decode()
    assert escape(HTMX_INVITE) in html
    assert not [e for e in elements(html) if e.get("hx-post") == "/o/acme/members/"]


def structure(html: str) -> list[tuple[str, tuple[str, ...]]]:
    """The page's elements and their attribute names, in order: what text must never change."""

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags = []

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))

    parser = Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_and_titles_add_no_element_or_attribute(org, owner, framework, text):  # noqa: F811
    """The same pages with plain and with hostile text have the same elements."""
    departed = make_user("gone@acme.test", first_name="Plain")
    process = Process.objects.create(
        organization=org, name="Plain", area="manufacturing", owner=departed, description="Plain"
    )
    assessment = Assessment.objects.create(organization=org, framework=framework, title="Plain")
    score = ProcessScore.objects.create(assessment=assessment, process=process)
    pages = [
        reverse("assessments:processes", args=[org.slug]),
        reverse("assessments:process-edit", args=[org.slug, process.pk]),
        reverse("assessments:assessment-list", args=[org.slug]),
        reverse("assessments:assessment-detail", args=[org.slug, assessment.pk]),
        reverse("assessments:process-score", args=[org.slug, assessment.pk, score.pk]),
    ]
    client = client_for(owner)
    plain = [structure(client.get(url).content.decode()) for url in pages]
    User.objects.filter(pk=departed.pk).update(first_name=text)
    Process.objects.filter(pk=process.pk).update(name=text, description=text)
    Assessment.objects.filter(pk=assessment.pk).update(title=text)
    for url, before in zip(pages, plain, strict=True):
        assert structure(client.get(url).content.decode()) == before, url


# --- Nothing marks user text safe ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent

# Ways to switch off Django's escaping. format_html is fine with "{}" placeholders (it escapes
# them); building its format string from values is not.
UNSAFE = re.compile(
    r"\|\s*safe\b|\|\s*safeseq\b|mark_safe|SafeString\(|SafeText\(|SafeData\(|autoescape\s+off"
    r"|Markup\(|html_safe|__html__|format_html\(\s*f[\"']|format_html\([^)]*\.format\("
    r"|format_html\([^)]*[\"']\s*%"
)

# (file, what it uses): why that is sound.
ALLOWED = {
    ("assessments/charts/svg/draw.py", "mark_safe"): (
        "Canvas writes numbers, palette colours and texts through _esc(); the SVG it returns is "
        "safe whatever the names (test_svg_charts: test_hostile_names_stay_text_in_every_chart)"
    ),
    ("integration/templatetags/figures.py", "mark_safe"): (
        "figure_script escapes <, > and & in the JSON as json_script does (which marks it safe "
        "alike), so nothing in it can end the script (test_figure_script)"
    ),
    ("templates/registration/password_reset_email.html", "autoescape off"): (
        "a plain-text email body, never HTML: escaping would put &amp; into its link"
    ),
    ("templates/integration/email/down_body.txt", "autoescape off"): (
        "a plain-text EmailMessage body (integration/services/health.py), never HTML"
    ),
    ("templates/integration/email/recovered_body.txt", "autoescape off"): (
        "a plain-text EmailMessage body (integration/services/health.py), never HTML"
    ),
    ("templates/assessments/email/verified_dropped_body.txt", "autoescape off"): (
        "a plain-text EmailMessage body (assessments/verified/drift.py), never HTML"
    ),
    ("templates/assessments/email/verified_recovered_body.txt", "autoescape off"): (
        "a plain-text EmailMessage body (assessments/verified/drift.py), never HTML"
    ),
    ("templates/integration/email/down_subject.txt", "autoescape off"): (
        "a plain-text subject line, one line (integration/services/health.py), never HTML"
    ),
    ("templates/integration/email/recovered_subject.txt", "autoescape off"): (
        "a plain-text subject line, one line (integration/services/health.py), never HTML"
    ),
    ("templates/assessments/email/verified_dropped_subject.txt", "autoescape off"): (
        "a plain-text subject line, one line (assessments/verified/drift.py), never HTML"
    ),
    ("templates/assessments/email/verified_recovered_subject.txt", "autoescape off"): (
        "a plain-text subject line, one line (assessments/verified/drift.py), never HTML"
    ),
}


def unsafe_uses() -> set[tuple[str, str]]:
    """(file, what) for every way around escaping in the templates and the apps' code."""
    templates = ROOT / "templates"
    files = [*templates.rglob("*.html"), *templates.rglob("*.txt")]
    for app in ("accounts", "assessments", "integration", "audit", "config"):
        files += (ROOT / app).rglob("*.py")
    found = set()
    for path in files:
        for match in UNSAFE.finditer(path.read_text()):
            what = re.sub(r"\s+", " ", match.group().lstrip("|").strip())
            found.add((str(path.relative_to(ROOT)), what))
    return found


def test_nothing_marks_text_safe_but_the_allowed_few():
    assert unsafe_uses() <= ALLOWED.keys(), sorted(unsafe_uses() - ALLOWED.keys())


def test_the_allow_list_has_no_stale_entries():
    assert ALLOWED.keys() <= unsafe_uses()


# --- The page walk ------------------------------------------------------------------------------


def test_every_page_shows_user_text_only_inside_hx_disable(org, owner, everything):  # noqa: F811
    addresses = urls(org, owner, everything)
    names = put_markers()
    client = client_for(owner)
    exposed, in_hx_attr, disabled, seen = {}, [], [], set()
    for url in addresses:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            page = Page()
            page.feed(response.content.decode())
            seen |= page.seen
            in_hx_attr += [f"{url} {a}" for a in page.in_hx_attr]
            disabled += [f"{url} {a}" for a in page.controls_disabled]
            for where, text in page.exposed:
                fields = ", ".join(sorted({names[f"qz_{n}_"] for n in MARKER.findall(text)}))
                exposed.setdefault(f"{where} [{fields}]", url)  # one page per place is enough
    assert not in_hx_attr, "\n".join(in_hx_attr)
    assert not disabled, "\n".join(disabled)  # hx-disable must not switch off the page's htmx
    assert not exposed, "\n".join(f"{place} on {url}" for place, url in sorted(exposed.items()))
    unseen = {names[m] for m in names.keys() - seen}
    assert unseen <= NOT_ON_PAGES, "\n".join(sorted(unseen - NOT_ON_PAGES))


def test_the_walk_finds_a_marker_in_an_unmarked_element():
    page = Page()
    page.feed(
        "<p hx-disable>qz_001_ ok</p><td><span>qz_002_ bare</span></td><title>qz_003_</title>"
    )
    assert page.seen == {"qz_001_", "qz_002_", "qz_003_"}
    assert page.exposed == [("td > span", "qz_002_ bare")]


def test_the_walk_finds_a_marker_in_an_hx_attribute():
    page = Page()
    page.feed(
        '<form hx-disable><input value="qz_001_"></form><i hx-get="/qz_002_" title="qz_003_">'
    )
    assert page.in_hx_attr == ["hx-get='/qz_002_'"]
