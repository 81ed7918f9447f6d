"""No page tells its reader to run a management command: the people who read the pages (a COO,
an operations lead) cannot, so pages say what they can do in the app instead."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
ADVICE = re.compile(r"manage\.py|management command|django-admin|\brun `", re.IGNORECASE)


def test_no_template_tells_the_reader_to_run_a_command():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ADVICE.search(line)
    ]
    assert found == []
