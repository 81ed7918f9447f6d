# The assessments' fixtures, for the audit trail's tests of assessments and roadmaps.
from tests.assessments.conftest import assessment, framework, roadmap  # noqa: F401
