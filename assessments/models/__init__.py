"""Assessment models, by topic: `assessment` (frameworks, processes, scoring) and more to come."""

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
from assessments.models.report import Report  # noqa: F401, E402
from assessments.models.roadmap import (  # noqa: F401, E402
    AcceptanceCriterion,
    FeedKey,
    Milestone,
    MilestoneComment,
    MilestoneRetired,
    Phase,
    Roadmap,
    RoadmapActivity,
)
