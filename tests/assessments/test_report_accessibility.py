"""The report PDF is tagged: screen readers get its structure, headings and tables."""

from tests.assessments.report_pdfs import pdf_of


def structure_roles(node, roles):
    for kid in node.get("/K", []) if isinstance(node.get("/K"), list) else [node.get("/K")]:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict):
            roles.add(str(kid.get("/S")))
            structure_roles(kid, roles)
    return roles


def test_the_report_is_a_tagged_pdf_with_headings_and_tables(media, report):
    root = pdf_of(report).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    roles = structure_roles(root["/StructTreeRoot"].get_object(), set())
    assert {"/H1", "/Table", "/P"} <= roles
    assert root["/Lang"] == "en-GB"
