"""`figure_script`: a chart's figure as JSON in the page, escaped as `json_script` escapes it."""

import json
import math
import re

import pytest
from django.template import Context, Template
from django.utils.html import json_script

from integration.templatetags.figures import figure_script

HOSTILE = {
    "data": [{"name": "</script><script>alert(1)</script>", "x": ["a & b"], "y": [1.5, None]}],
    "layout": {"title": {"text": "<!-- <b>x</b> -->"}},
}


def inner(html: str) -> str:
    match = re.fullmatch(r'<script id="chart" type="application/json">(.*)</script>', html, re.S)
    assert match, html
    return match.group(1)


def test_it_reads_back_as_json_script_does():
    ours, django = figure_script(HOSTILE, "chart"), json_script(HOSTILE, "chart")
    assert json.loads(inner(ours)) == json.loads(inner(django)) == HOSTILE


def test_nothing_in_it_can_end_the_script_or_open_markup():
    text = inner(figure_script(HOSTILE, "chart"))
    assert not {"<", ">", "&"} & set(text)
    assert "\\u003C/script\\u003E" in text and "a \\u0026 b" in text


def test_the_element_id_is_escaped():
    html = figure_script({}, 'x" onload="alert(1)')
    assert html.startswith('<script id="x&quot; onload=&quot;alert(1)" ')


def test_a_template_loads_it():
    html = Template('{% load figures %}{{ f|figure_script:"chart" }}').render(
        Context({"f": {"y": [1.0, math.inf]}})
    )
    assert json.loads(inner(html)) == {"y": [1.0, None]}  # not JSON's invalid Infinity


def test_translated_text_is_written_and_anything_else_unknown_refused():
    from django.utils.translation import gettext_lazy

    assert json.loads(inner(figure_script({"t": gettext_lazy("Close")}, "chart"))) == {"t": "Close"}
    with pytest.raises(TypeError):
        figure_script({"x": object()}, "chart")
