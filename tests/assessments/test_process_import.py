import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Process
from assessments.process_import import (
    MAX_COLUMNS,
    MAX_ROWS,
    ImportFileError,
    ImportRefused,
    csv_text_decode,
    processes_import,
    processes_import_preview,
    template_csv,
)
from tests.assessments.conftest import make_process
from tests.conftest import client_for
from tests.guards import within

HEADER = "name,area,site,owner,business_value,description\n"

GOOD_CSV = (
    HEADER + "Press line maintenance,manufacturing,Riverside Plant,member@acme.test,5,Presses\n"
    "Month-end close,Finance and back office,,,,\n"
    "Goods receiving,LOGISTICS,riverside plant,MEMBER@ACME.TEST,2,\n"
)

# One good row and one row for each kind of mistake; rows are numbered like the spreadsheet.
MIXED_CSV = (
    HEADER + "Press line maintenance,manufacturing,,,4,\n"  # row 2: fine
    "Paint shop,astrology,,,3,\n"  # row 3: bad area
    "Packing,logistics,,,9,\n"  # row 4: bad value
    "Picking,logistics,,nobody@acme.test,3,\n"  # row 5: unknown owner
    "press LINE maintenance,manufacturing,,,3,\n"  # row 6: same name as row 2
    ",retail,,,3,\n"  # row 7: no name
    "Existing process,retail,,,3,\n"  # row 8: name taken in the organisation
    "Night shift,logistics,Moon Base,,3,\n"  # row 9: unknown site
)


def import_url(org):
    return reverse("assessments:process-import", args=[org.slug])


def upload(text, name="processes.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def row_errors(preview):
    return {(row.number, error.column) for row in preview.rows for error in row.errors}


def hidden_csv_text(html):
    return unescape(re.search(r'name="csv_text" value="([^"]*)"', html, re.S).group(1))


# The service


def test_preview_reads_every_column_and_creates_nothing(org, member):
    preview = processes_import_preview(organization=org, text=GOOD_CSV)
    assert preview.ok
    assert [row.number for row in preview.rows] == [2, 3, 4]
    press, close, receiving = (row.process for row in preview.rows)
    assert (press.area, press.site.name, press.owner, press.business_value) == (
        "manufacturing",
        "Riverside Plant",
        member,
        5,
    )
    assert (close.area, close.site, close.owner, close.business_value) == ("finance", None, None, 3)
    assert (receiving.area, receiving.site.name, receiving.owner) == (
        "logistics",
        "Riverside Plant",
        member,
    )
    assert not Process.objects.exists()


def test_preview_reports_each_bad_row_with_its_number_and_column(org, member):
    make_process(org, name="Existing process")
    preview = processes_import_preview(organization=org, text=MIXED_CSV)
    assert not preview.ok
    assert [row.number for row in preview.valid_rows] == [2]
    assert row_errors(preview) == {
        (3, "area"),
        (4, "business_value"),
        (5, "owner"),
        (6, "name"),
        (7, "name"),
        (8, "name"),
        (9, "site"),
    }
    messages = {(row.number, e.message) for row in preview.rows for e in row.errors}
    assert (6, "The same name is already on row 2.") in messages
    assert (5, "nobody@acme.test is not a member of Acme Precision.") in messages


def test_an_archived_process_name_is_taken_too(org):
    process = make_process(org, name="Old ledger")
    Process.objects.filter(pk=process.pk).update(archived=True)
    preview = processes_import_preview(organization=org, text=HEADER + "Old ledger,finance,,,,\n")
    assert (
        preview.rows[0].errors[0].message == "A process with this name already exists (archived)."
    )


def test_an_owner_from_another_organisation_is_a_row_error(org, outsider):
    text = HEADER + f"Picking,logistics,,{outsider.email},3,\n"
    preview = processes_import_preview(organization=org, text=text)
    assert row_errors(preview) == {(2, "owner")}


def test_a_site_of_another_organisation_is_a_row_error(org, other_org):
    other_org.sites.create(name="Globex Bakery")
    preview = processes_import_preview(
        organization=org, text=HEADER + "Baking,retail,Globex Bakery,,3,\n"
    )
    assert row_errors(preview) == {(2, "site")}


def test_a_name_longer_than_the_model_allows_is_a_row_error(org):
    preview = processes_import_preview(organization=org, text=HEADER + f"{'x' * 151},retail\n")
    assert row_errors(preview) == {(2, "name")}


def test_only_name_and_area_columns_are_needed_and_headers_are_forgiving(org):
    text = "Name ; AREA\nPicking;logistics\n\n\n"
    preview = processes_import_preview(organization=org, text=text)
    assert preview.ok
    assert preview.rows[0].process.business_value == 3


def test_spreadsheet_row_numbers_count_blank_rows(org):
    preview = processes_import_preview(organization=org, text=HEADER + "\nPicking,nowhere\n")
    assert row_errors(preview) == {(3, "area")}


def test_a_row_with_more_cells_than_the_header_is_an_error(org):
    preview = processes_import_preview(organization=org, text="name,area\nPicking,logistics,x\n")
    assert row_errors(preview) == {(2, "row")}


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "The file is empty"),
        ("name,site\nPicking,\n", "missing column(s): area"),
        ("name,area,colour\nPicking,logistics,red\n", "unknown column(s): “colour”"),
        ("name,area,area\nPicking,logistics,retail\n", "repeated column(s): area"),
        (HEADER, "no processes under them"),
        (HEADER + "a,retail\n" * (MAX_ROWS + 1), "more than 1,000 processes"),
        (
            "name,area," + ",".join(f"c{i}" for i in range(MAX_COLUMNS - 1)) + "\nPicking,retail\n",
            f"The first line has more than {MAX_COLUMNS} columns",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_whole(org, text, message):
    with pytest.raises(ImportFileError, match=re.escape(message)):
        processes_import_preview(organization=org, text=text)


def test_a_header_at_the_column_limit_is_read(org):
    # Unknown columns are refused anyway; the cap only decides which message they get.
    text = "name,area," + ",".join(f"c{i}" for i in range(MAX_COLUMNS - 2)) + "\nPicking,retail\n"
    with pytest.raises(ImportFileError, match="unknown column"):
        processes_import_preview(organization=org, text=text)


def test_unknown_columns_are_named_a_few_at_a_time(org):
    text = "name,area," + ",".join(f"c{i}" for i in range(20)) + "\nPicking,retail\n"
    with pytest.raises(ImportFileError) as refused:
        processes_import_preview(organization=org, text=text)
    assert "unknown column(s): “c0”, “c1”, “c2”, “c3”, “c4” and 15 more" in str(refused.value)


# Hostile first lines: each took from a minute to hours (a quadratic step); linear, they take
# milliseconds. The guard only turns a hang into a failure.


@pytest.mark.parametrize(
    "first_line",
    [
        ",".join(f"c{i}" for i in range(60_000)),  # the reported 120 KB header of 60,000 columns
        "," * 120_000,
        'a,"b";c\t' * 15_000,  # csv.Sniffer's regular expressions backtrack on this
        '"' * 120_000,
    ],
    ids=["60000 columns", "only commas", "sniffer backtracking", "only quotes"],
)
def test_a_hostile_header_is_refused_at_once(org, first_line):
    with within(10), pytest.raises(ImportFileError):
        processes_import_preview(organization=org, text=first_line + "\nPicking,retail\n")


def test_exactly_the_row_limit_is_accepted(org):
    text = HEADER + "".join(f"P{i},retail\n" for i in range(MAX_ROWS))
    assert len(processes_import_preview(organization=org, text=text).rows) == MAX_ROWS


@pytest.mark.parametrize(
    "data,message",
    [
        ("name,area\nCafé,retail\n".encode("latin-1"), "not UTF-8"),
        (b"PK\x03\x04\x00\x00binary", "binary data"),
    ],
)
def test_undecodable_bytes_are_refused(data, message):
    with pytest.raises(ImportFileError, match=message):
        csv_text_decode(data)


def test_a_utf8_file_with_excel_bom_is_read():
    assert csv_text_decode("\ufeffname,area\n".encode()) == "name,area\n"


def test_import_creates_every_row_in_one_go(org, member):
    created = processes_import(organization=org, text=GOOD_CSV)
    assert len(created) == 3
    assert set(Process.objects.values_list("name", flat=True)) == {
        "Press line maintenance",
        "Month-end close",
        "Goods receiving",
    }


def test_import_with_any_bad_row_creates_nothing(org):
    with pytest.raises(ImportRefused) as refused:
        processes_import(organization=org, text=MIXED_CSV)
    assert not refused.value.preview.ok
    assert not Process.objects.exists()


def test_importing_the_same_file_twice_creates_nothing_twice(org, member):
    processes_import(organization=org, text=GOOD_CSV)
    with pytest.raises(ImportRefused):
        processes_import(organization=org, text=GOOD_CSV)
    assert Process.objects.count() == 3


def test_the_template_csv_imports_as_it_is(org):
    assert processes_import_preview(organization=org, text=template_csv()).ok


# The page


def test_upload_shows_a_preview_with_a_confirm_button(org, owner, member):
    response = client_for(owner).post(import_url(org), {"file": upload(GOOD_CSV)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "All 3 rows can be imported" in html
    assert "Import 3 processes" in html
    assert html.count("Will be created") == 3
    assert hidden_csv_text(html) == GOOD_CSV
    assert not Process.objects.exists()


def test_preview_shows_row_errors_next_to_each_row_and_no_confirm(org, owner, member):
    make_process(org, name="Existing process")
    response = client_for(owner).post(import_url(org), {"file": upload(MIXED_CSV)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "7 of 8 rows need fixing" in html
    assert "Nothing is imported while any row has an error" in html
    assert 'name="confirm"' not in html
    row_5 = html[html.index('id="row-5"') : html.index('id="row-6"')]
    assert "Owner:</strong> nobody@acme.test is not a member of Acme Precision." in row_5
    row_3 = html[html.index('id="row-3"') : html.index('id="row-4"')]
    assert "Area:</strong> “astrology” is not an area" in row_3
    assert Process.objects.count() == 1


def test_confirm_revalidates_and_creates_the_rows(org, owner, member):
    client = client_for(owner)
    html = client.post(import_url(org), {"file": upload(GOOD_CSV)}).content.decode()
    response = client.post(import_url(org), {"csv_text": hidden_csv_text(html), "confirm": "1"})
    assert response.status_code == 302
    assert response.url == reverse("assessments:processes", args=[org.slug])
    assert Process.objects.filter(organization=org).count() == 3


def test_confirm_does_not_trust_the_browser(org, owner, outsider):
    tampered = HEADER + f"Picking,logistics,,{outsider.email},3,\n"
    response = client_for(owner).post(import_url(org), {"csv_text": tampered, "confirm": "1"})
    assert response.status_code == 400
    assert "is not a member of Acme Precision" in response.content.decode()
    assert not Process.objects.exists()


def test_confirming_twice_creates_nothing_twice(org, owner, member):
    client = client_for(owner)
    confirm = {"csv_text": GOOD_CSV, "confirm": "1"}
    assert client.post(import_url(org), confirm).status_code == 302
    response = client.post(import_url(org), confirm)
    assert response.status_code == 400
    assert "A process with this name already exists." in response.content.decode()
    assert Process.objects.count() == 3


def test_reuploading_an_imported_file_creates_nothing(org, owner, member):
    client = client_for(owner)
    client.post(import_url(org), {"csv_text": GOOD_CSV, "confirm": "1"})
    html = client.post(import_url(org), {"file": upload(GOOD_CSV)}).content.decode()
    assert "3 of 3 rows need fixing" in html
    assert Process.objects.count() == 3


@pytest.mark.parametrize(
    "file,message",
    [
        (upload(b"\x89PNG\r\n\x1a\n", name="logo.png"), "Upload a .csv file"),
        (upload("name,area\nCafé,retail\n".encode("cp1252")), "not UTF-8"),
        (upload("name,colour\nx,red\n"), "missing column(s): area"),
        (upload(HEADER + "a,retail\n" * (MAX_ROWS + 1)), "more than 1,000 processes"),
        (upload(b"x" * (1024 * 1024 + 1)), "larger than 1024 KB"),
        (
            upload(",".join(f"c{i}" for i in range(60_000)) + "\nPicking,retail\n"),
            f"The first line has more than {MAX_COLUMNS} columns",
        ),
    ],
)
def test_bad_files_are_refused_with_a_form_error(org, owner, file, message):
    response = client_for(owner).post(import_url(org), {"file": file})
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert 'id="id_file_error"' in html
    assert message in html
    assert not Process.objects.exists()


def test_posting_without_a_file_asks_for_one(org, owner):
    response = client_for(owner).post(import_url(org), {})
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.content.decode()


def test_import_page_explains_columns_and_links_the_template(org, owner):
    html = client_for(owner).get(import_url(org)).content.decode()
    assert reverse("assessments:process-import-template", args=[org.slug]) in html
    assert "Riverside Plant" in html  # the sites a row may name
    assert "Finance and back office" in html


def test_template_csv_downloads(org, member):
    url = reverse("assessments:process-import-template", args=[org.slug])
    response = client_for(member).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().startswith(HEADER.strip())


def test_viewer_cannot_import(org, viewer):
    client = client_for(viewer)
    assert client.get(import_url(org)).status_code == 403
    response = client.post(import_url(org), {"csv_text": GOOD_CSV, "confirm": "1"})
    assert response.status_code == 403
    assert not Process.objects.exists()


def test_outsider_gets_404(org, outsider):
    client = client_for(outsider)
    assert client.get(import_url(org)).status_code == 404
    assert client.post(import_url(org), {"csv_text": GOOD_CSV, "confirm": "1"}).status_code == 404
    url = reverse("assessments:process-import-template", args=[org.slug])
    assert client.get(url).status_code == 404
    assert not Process.objects.exists()


def test_a_name_taken_meanwhile_refuses_the_whole_import(org, member, monkeypatch):
    """Someone creates one of the names between the check and the insert."""
    from assessments import process_import

    stale = processes_import_preview(organization=org, text=GOOD_CSV)
    make_process(org, name="Month-end close")
    real_preview = process_import.processes_import_preview
    calls = []

    def preview_once_stale(**kwargs):
        calls.append(1)
        return stale if len(calls) == 1 else real_preview(**kwargs)

    monkeypatch.setattr(process_import, "processes_import_preview", preview_once_stale)
    with pytest.raises(ImportRefused) as refused:
        processes_import(organization=org, text=GOOD_CSV)
    assert row_errors(refused.value.preview) == {(3, "name")}
    assert list(Process.objects.values_list("name", flat=True)) == ["Month-end close"]


def test_preview_reads_the_organisation_once_not_per_row(org, member, django_assert_num_queries):
    text = HEADER + "".join(
        f"P{i},retail,Riverside Plant,member@acme.test,3,\n" for i in range(200)
    )
    with django_assert_num_queries(3):  # sites, members, existing names
        assert processes_import_preview(organization=org, text=text).ok
