"""The assessment framework: versioned data shipped as YAML, validated, and looked up.

A framework defines the SAMR levels, the business areas and their criteria per level, the
readiness dimensions and their questions, and the recommended actions. It is plain data: no
database. An assessment stores `framework.as_dict()` as a snapshot and rebuilds it with
`Framework.from_dict()`, so a new framework version never changes a finished assessment.

`model` holds the data and its lookups, `validation` checks plain data and builds a
`Framework`, `loading` reads YAML files (the shipped ones live in `assessments/frameworks/`).
"""
