"""Export an assessment (JSON, CSV, XLSX) and import a JSON export into any organisation.

The JSON export (`export`) is complete and versioned: the framework snapshot, the processes in
scope with every assessor's answers and the agreed ones, the readiness answers, and the figures
rounded with `round_figure()`. The CSV and XLSX files (`spreadsheets`) show the same figures for
spreadsheet users. `assessment_import()` (`importing`, after `reading` has checked the file)
recreates a JSON export as a draft that gives the same figures, here or in another organisation.
"""

from assessments.exchange.downloads import (
    EXPORT_FORMATS,
    ExportFile,
    assessment_export_file,
    export_filename,
)
from assessments.exchange.export import FORMAT, VERSION, assessment_export, figures_data
from assessments.exchange.importing import assessment_import
from assessments.exchange.reading import MAX_IMPORT_BYTES, export_parse
from assessments.exchange.spreadsheets import assessment_csv, assessment_tables, assessment_xlsx
from assessments.exchange.validation import InvalidExport

__all__ = [
    "EXPORT_FORMATS",
    "FORMAT",
    "MAX_IMPORT_BYTES",
    "VERSION",
    "ExportFile",
    "InvalidExport",
    "assessment_csv",
    "assessment_export",
    "assessment_export_file",
    "assessment_import",
    "assessment_tables",
    "assessment_xlsx",
    "export_filename",
    "export_parse",
    "figures_data",
]
