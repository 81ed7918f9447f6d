"""A site's operating hours and time zone: the pure parser (table-driven), the site form, and
the evaluator reading them for checks that count only operating hours."""

from datetime import time

import pytest
from django.urls import reverse

from accounts.hours import MAX_CHARS, MAX_PARTS, HoursError, check_timezone, parse_hours
from accounts.models import Site
from tests.conftest import client_for

END = time.max
T = time


@pytest.mark.parametrize(
    "text,spans",
    [
        ("", ()),
        ("  ", ()),
        ("Mon 08:00-16:00", ((0, T(8), T(16)),)),
        (
            "Mon-Fri 06:00-22:00; Sat 06:00-14:00",
            tuple((d, T(6), T(22)) for d in range(5)) + ((5, T(6), T(14)),),
        ),
        ("mon,wed , FRI 8:00-12:30", tuple((d, T(8), T(12, 30)) for d in (0, 2, 4))),
        ("Monday-Tuesday 09:00 - 17:00", ((0, T(9), T(17)), (1, T(9), T(17)))),
        ("Fri-Mon 10:00-11:00", tuple((d, T(10), T(11)) for d in (0, 4, 5, 6))),  # wraps
        ("Sun 22:00-06:00", ((0, T(0), T(6)), (6, T(22), END))),  # past midnight
        ("Sat 18:00-24:00", ((5, T(18), END),)),
        ("Sun 00:00-00:00", ((6, T(0), END),)),  # the whole day
        ("Mon 08:00-12:00; Mon 08:00-12:00", ((0, T(8), T(12)),)),  # once
        ("Mon 08:00-12:00;", ((0, T(8), T(12)),)),  # a trailing ";"
    ],
)
def test_operating_hours_parse(text, spans):
    assert parse_hours(text) == spans


@pytest.mark.parametrize(
    "text,error",
    [
        ("Mon-Fri", "'Mon-Fri': expected days then hours, like 'Mon-Fri 06:00-22:00'."),
        ("08:00-16:00", "'08:00-16:00': expected days then hours"),
        ("Mon 8-16", "'Mon 8-16': expected days then hours"),
        ("Mon-Fri 06:00-22:00; Sam 06:00-14:00", "'Sam 06:00-14:00': unknown day 'Sam'"),
        ("Mo 06:00-14:00", "unknown day 'Mo'"),
        ("Mon-Tue-Wed 06:00-14:00", "'Mon-Tue-Wed' is not a day or a range of days"),
        ("Mon,,Tue 06:00-14:00", "'' is not a day or a range of days"),
        ("Mon 06:00-25:00", "'Mon 06:00-25:00': '25:00' is not a time of day"),
        ("Mon 24:00-12:00", "'24:00' is not a time of day"),
        ("Mon 06:60-12:00", "'06:60' is not a time of day"),
        ("Mon 06:00-12:00 and more", "expected days then hours"),
        ("x" * (MAX_CHARS + 1), f"at most {MAX_CHARS} characters"),
        ("; ".join(["Mon 08:00-09:00"] * (MAX_PARTS + 1))[:MAX_CHARS], f"At most {MAX_PARTS}"),
    ],
)
def test_operating_hours_errors_name_the_wrong_part(text, error):
    with pytest.raises(HoursError) as raised:
        parse_hours(text)
    assert error in str(raised.value)


def test_a_long_hostile_text_fails_fast():
    # No backtracking blow-up: the cap comes first, and each part is matched once.
    with pytest.raises(HoursError):
        parse_hours("Mon" + "," * (MAX_CHARS - 20) + " 08:00-09:00")


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/New_York"])
def test_known_time_zones(name):
    assert check_timezone(name) == name


@pytest.mark.parametrize("name", ["", "Mars/Base", "europe/berlin", "../etc/passwd", "x" * 80])
def test_unknown_time_zones(name):
    with pytest.raises(HoursError, match="Unknown time zone"):
        check_timezone(name)


def test_site_form_saves_hours_and_names_the_wrong_part(org, owner):
    site = org.sites.get()
    url = reverse("accounts:site-edit", args=[org.slug, site.pk])
    client = client_for(owner)
    data = {"name": site.name, "kind": "plant", "timezone": "Europe/Berlin"}
    response = client.post(url, {**data, "operating_hours": "Mon-Fri 06:00-22:00; Sax 06:00-14:00"})
    assert response.status_code == 400
    assert "&#x27;Sax 06:00-14:00&#x27;: unknown day" in response.content.decode()
    response = client.post(url, {**data, "timezone": "Mars/Base", "operating_hours": ""})
    assert response.status_code == 400 and "Unknown time zone" in response.content.decode()
    client.post(url, {**data, "operating_hours": "Mon-Fri 06:00-22:00"})
    site.refresh_from_db()
    assert (site.timezone, site.operating_hours) == ("Europe/Berlin", "Mon-Fri 06:00-22:00")


def test_a_new_site_without_a_time_zone_is_utc(org, owner):
    client_for(owner).post(
        reverse("accounts:site-create", args=[org.slug]), {"name": "Store 9", "kind": "store"}
    )
    assert Site.objects.get(name="Store 9").timezone == "UTC"
