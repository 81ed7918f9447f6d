"""Assessment models, by topic: `assessment` (frameworks, processes, scoring), `report`,
`roadmap` (roadmaps, milestones), `acceptance` (criteria on telemetry), `feeds` (calendar
feed keys), `attestation` (signed, frozen check history), `benchmark` (imported benchmark
pool entries) and `verification` (checks, their bindings and history, evidence)."""

from assessments.models.acceptance import AcceptanceCriterion  # noqa: F401
from assessments.models.assessment import (  # noqa: F401
    LEVEL_VALIDATORS,
    STATUS_CHOICES,
    Assessment,
    AssessmentLocked,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    FrameworkVersion,
    IllegalTransition,
    Process,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
    Side,
    area_choices,
)
from assessments.models.attestation import Attestation  # noqa: F401
from assessments.models.benchmark import BenchmarkEntry  # noqa: F401
from assessments.models.feeds import FeedKey  # noqa: F401
from assessments.models.outcomes import OutcomeKpi  # noqa: F401
from assessments.models.report import Report  # noqa: F401
from assessments.models.roadmap import (  # noqa: F401
    Milestone,
    MilestoneComment,
    MilestoneRetired,
    Phase,
    Roadmap,
)
from assessments.models.verification import (  # noqa: F401
    CheckBinding,
    CheckResult,
    CriterionEvidence,
    DriftTurn,
    NaAcceptance,
    ProcessCheck,
    VerificationSnapshot,
    VerifiedLevelSeen,
)
