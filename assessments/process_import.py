"""Import an organisation's processes from a CSV file: read, check every row, then create.

The import is all or nothing: while any row has an error, nothing is created, so a file can be
fixed and uploaded again without leaving half of it behind. Names already taken (also by an
archived process) are row errors, which makes uploading the same file twice harmless.

Reading is linear in the file: the first line is capped at MAX_COLUMNS columns before the
header is checked, and the delimiter is guessed from its first SNIFF_CHARS characters only
(csv.Sniffer's regular expressions backtrack: 120 KB of a hostile first line took a minute).
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

import audit.trail as audit
from accounts.models import Organization, User
from assessments.audit_areas import AuditArea
from assessments.models import Process, area_choices
from assessments.services import PROCESS_FIELDS

MAX_ROWS = 1000
MAX_COLUMNS = 100  # six are known; more than a few unknown ones is not a process list
SNIFF_CHARS = 1000  # ample for six column names and their delimiters
SHOWN_UNKNOWN = 5
MAX_BYTES = 1024 * 1024
COLUMNS = ("name", "area", "site", "owner", "business_value", "description")
REQUIRED_COLUMNS = ("name", "area")
COLUMN_LABELS = {
    "name": "Name",
    "area": "Area",
    "site": "Site",
    "owner": "Owner",
    "business_value": "Business value",
    "description": "Description",
    "row": "Whole row",
}
DEFAULT_BUSINESS_VALUE = 3
TEMPLATE_ROWS = [
    ["Press line maintenance", "manufacturing", "", "", "4", "Planned and breakdown work"],
    ["Month-end close", "Finance and back office", "", "", "3", ""],
]


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (not text, no usable header, too many rows)."""


@dataclass
class Cell:
    column: str
    value: str
    shown: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    column: str
    message: str

    @property
    def column_label(self) -> str:
        return COLUMN_LABELS[self.column]


@dataclass
class ImportRow:
    """One data row; `number` is the spreadsheet row (the header is row 1)."""

    number: int
    cells: dict[str, Cell]
    errors: list[RowError] = field(default_factory=list)
    process: Process | None = None

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(column, message))
        if column in self.cells:
            self.cells[column].errors.append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    rows: list[ImportRow]

    @property
    def headings(self) -> list[str]:
        return [COLUMN_LABELS[column] for column in COLUMNS]

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.ok]

    @property
    def error_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.ok]


class ImportRefused(Exception):
    """Raised by `processes_import` when a row has an error; nothing was created."""

    def __init__(self, preview: ImportPreview):
        self.preview = preview
        super().__init__(f"{len(preview.error_rows)} row(s) have errors")


def csv_text_decode(data: bytes) -> str:
    """The uploaded bytes as text; ImportFileError when they are not a UTF-8 text file."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // 1024} KB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)”."
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file is not a CSV file (it contains binary data).")
    return text


def processes_import_preview(*, organization: Organization, text: str) -> ImportPreview:
    """Check every row of a CSV text against the organisation; creates nothing."""
    header, records = _read(text)
    lookup = _Lookup(organization)
    rows = []
    first_row_for_name: dict[str, int] = {}
    for number, values in records:
        row = _check_row(number, header, values, lookup)
        name = row.cells["name"].value.casefold()
        if name and name in first_row_for_name:
            row.fail("name", f"The same name is already on row {first_row_for_name[name]}.")
        elif name:
            first_row_for_name[name] = number
        rows.append(row)
    return ImportPreview(rows=rows)


def processes_import(*, organization: Organization, text: str, user=None) -> list[Process]:
    """Check the CSV again and create every process in one transaction, or raise ImportRefused.

    Each process created is audited as imported by `user`."""
    try:
        with transaction.atomic():
            preview = processes_import_preview(organization=organization, text=text)
            if not preview.ok:
                raise ImportRefused(preview)
            created = Process.objects.bulk_create(row.process for row in preview.rows)
            for process in created:
                audit.record(
                    organization=organization,
                    actor=user,
                    area=AuditArea.PROCESSES,
                    action="imported",
                    subject=f"Process {process.name}",
                    obj=process,
                    after=audit.snapshot(process, *PROCESS_FIELDS),
                )
            return created
    except IntegrityError:
        # Someone created a process with one of these names after the check above.
        preview = processes_import_preview(organization=organization, text=text)
        if preview.ok:
            raise
        raise ImportRefused(preview) from None


def template_csv() -> str:
    """A CSV with the header and example rows, to fill in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return buffer.getvalue()


def _read(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    # One line ending, so a text that went through a form field reads the same as the upload.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise ImportFileError("The file is empty: the first line must be the column names.")
    try:
        dialect = csv.Sniffer().sniff(first_line[:SNIFF_CHARS], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), delimiter=dialect.delimiter)
    try:
        names = next(reader)
        if len(names) > MAX_COLUMNS:
            raise ImportFileError(
                f"The first line has more than {MAX_COLUMNS} columns; it must name the "
                f"columns of a process ({', '.join(COLUMNS)})."
            )
        header = [_column_name(name) for name in names]
        _check_header(header)
        records = []
        # Numbered like the spreadsheet the file came from: the header is row 1.
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue  # blank rows, often left at the end by spreadsheets
            if len(records) == MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {MAX_ROWS:,} processes; split it into smaller files."
                )
            records.append((number, values))
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num} cannot be read as CSV: {exc}.") from None
    if not records:
        raise ImportFileError("The file has column names but no processes under them.")
    return header, records


def _column_name(raw: str) -> str:
    return "_".join(raw.strip().lower().replace("-", " ").split())


def _check_header(header: list[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    unknown = [column for column in header if column not in COLUMNS]
    counts = Counter(header)  # not header.count() per column: that is quadratic
    repeated = sorted(column for column, count in counts.items() if column and count > 1)
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        shown = ", ".join(
            f"“{column[:40]}”" if column else "(an empty name)"
            for column in unknown[:SHOWN_UNKNOWN]
        )
        if len(unknown) > SHOWN_UNKNOWN:
            shown += f" and {len(unknown) - SHOWN_UNKNOWN} more"
        problems.append(f"unknown column(s): {shown}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise ImportFileError(
            f"The first line must name the columns ({', '.join(COLUMNS)}); {'; '.join(problems)}."
        )


class _Lookup:
    """What rows may refer to, read once per import: areas, sites, members, taken names."""

    def __init__(self, organization: Organization):
        self.organization = organization
        self.areas = {}
        for key, name in area_choices():
            self.areas[key.casefold()] = key
            self.areas[name.casefold()] = key
        self.area_names = dict(area_choices())
        self.sites = {site.name.casefold(): site for site in organization.sites.all()}
        members = User.objects.filter(memberships__organization=organization)
        self.members = {user.email.casefold(): user for user in members}
        self.taken = {
            name.casefold(): archived
            for name, archived in Process.objects.filter(organization=organization).values_list(
                "name", "archived"
            )
        }


def _check_row(number: int, header: list[str], values: list[str], lookup: _Lookup) -> ImportRow:
    raw = dict(zip(header, (value.strip() for value in values), strict=False))
    row = ImportRow(number=number, cells={c: Cell(c, raw.get(c, "")) for c in COLUMNS})
    if len(values) > len(header):
        row.fail("row", f"The row has {len(values)} cells but the header names {len(header)}.")
    cells = row.cells
    cells["name"].shown = cells["name"].value
    cells["description"].shown = cells["description"].value

    name = cells["name"].value
    if not name:
        row.fail("name", "A name is required.")
    elif name.casefold() in lookup.taken:
        archived = " (archived)" if lookup.taken[name.casefold()] else ""
        row.fail("name", f"A process with this name already exists{archived}.")

    area = lookup.areas.get(cells["area"].value.casefold())
    if not cells["area"].value:
        row.fail("area", "An area is required.")
    elif area is None:
        choices = ", ".join(lookup.area_names)
        row.fail("area", f"“{cells['area'].value}” is not an area; use one of: {choices}.")
    else:
        cells["area"].shown = lookup.area_names[area]

    site = None
    if cells["site"].value:
        site = lookup.sites.get(cells["site"].value.casefold())
        if site is None:
            row.fail("site", f"There is no site named “{cells['site'].value}”.")
        else:
            cells["site"].shown = site.name

    owner = None
    if cells["owner"].value:
        owner = lookup.members.get(cells["owner"].value.casefold())
        if owner is None:
            org = lookup.organization.name
            row.fail("owner", f"{cells['owner'].value} is not a member of {org}.")
        else:
            cells["owner"].shown = str(owner)

    value = _business_value(cells["business_value"].value)
    if value is None:
        row.fail("business_value", "The business value must be a whole number from 1 to 5.")
    else:
        cells["business_value"].shown = str(value)

    if row.ok:
        process = Process(
            organization=lookup.organization,
            name=name,
            area=area,
            site=site,
            owner=owner,
            business_value=value,
            description=cells["description"].value,
        )
        try:
            # Site and owner were looked up in this organisation already: no query per row.
            process.full_clean(
                exclude=["organization", "site", "owner"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                for message in messages:
                    row.fail(column if column in COLUMNS else "row", message)
        else:
            row.process = process
    return row


def _business_value(raw: str) -> int | None:
    if not raw:
        return DEFAULT_BUSINESS_VALUE
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 1 <= value <= 5 else None
