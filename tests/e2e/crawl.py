"""The demo as each role sees it, for the browser tests that visit every page: the roles, the
pages each must reach, and a walk over one page of every kind linked from the navigation."""

import re
from itertools import chain
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from accounts.demo import DEMO_AUDITOR, DEMO_PASSWORD
from tests.e2e.conftest import log_in

ROLES = {
    "owner": "coo@acme.example",
    "consultant": "consultant@ladder.example",
    "member": "engineer@acme.example",
    "viewer": "viewer@acme.example",
    "auditor": DEMO_AUDITOR,
}
# Every role must have reached these pages (url names); facilitators and managers more.
EVERYONE = {
    "org-home",
    "assessments:assessment-list",
    "assessments:assessment-detail",
    "assessments:assessment-dashboard",
    "assessments:readiness",
    "assessments:process-score",
    "assessments:processes",
    "assessments:roadmap-list",
    "assessments:roadmap-detail",
    "assessments:roadmap-board",
    "assessments:roadmap-timeline",
    "assessments:milestone-detail",
    "assessments:report-list",
    "assessments:report-detail",
    "integration:integration-list",
    "integration:integration-detail",
    "accounts:members",
    "assessments:assessment-compare",
}
FACILITATORS = EVERYONE | {
    "assessments:assessment-agreement",
    "assessments:assessment-finalize",
    "audit:log",
}
EXPECTED = {
    "owner": FACILITATORS | {"accounts:settings"},
    "consultant": FACILITATORS | {"portfolio"},
    "member": EVERYONE,
    "viewer": EVERYONE,
    "auditor": EVERYONE - {"accounts:members"},
}
# Files, not pages.
DOWNLOAD = re.compile(r"(\.\w{2,4}$)|/(export|download|template)", re.IGNORECASE)

# Files, not pages.
DOWNLOAD = re.compile(r"(\.\w{2,4}$)|/(export|download|template)", re.IGNORECASE)


def url_name(path):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def walk(page, start):
    """Visit `start`, then one page of each kind linked from the pages seen; yield each page's
    url name and path once it is loaded."""
    queue, seen = [start], set()
    while queue:
        path = queue.pop(0)
        name = url_name(urlsplit(path).path)
        if name is None or name in seen:
            continue
        seen.add(name)
        page.goto(path)
        yield name, path
        for href in page.eval_on_selector_all(
            ".orgnav a[href], main a[href]:not([download])", "links => links.map(a => a.pathname)"
        ):
            if href.startswith(start) and not DOWNLOAD.search(href) and url_name(href) not in seen:
                queue.append(href)


def every_page(page, role):
    """Log `page` in as `role` and yield (url name, path) of every page that role reaches."""
    page.context.clear_cookies()
    log_in(page, ROLES[role], DEMO_PASSWORD)
    page.wait_for_url("**/o/**")
    pages = walk(page, "/o/acme/")
    if role == "consultant":
        pages = chain(pages, walk(page, "/portfolio/"))
    yield from pages
