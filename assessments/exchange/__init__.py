"""Export an assessment (JSON, CSV, XLSX) and import a JSON export into any organisation.

The JSON export (`export`) is complete and versioned: the framework snapshot, the processes in
scope with every assessor's answers and the agreed ones, the readiness answers, and the figures
rounded with `round_figure()`. The CSV and XLSX files (`spreadsheets`) show the same figures for
spreadsheet users. `assessment_import()` (`importing`, after `reading` has checked the file)
recreates a JSON export as a draft that gives the same figures, here or in another organisation.
"""
