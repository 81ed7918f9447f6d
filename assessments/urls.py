"""Assessment pages, mounted under /o/<org_slug>/ by config.urls (namespace "assessments");
`audit_patterns`, the organisation's audit trail, under /o/<org_slug>/audit/ (namespace "audit").
"""

from django.urls import path

from assessments.views import (
    agreement,
    assessments,
    audit,
    benchmarks,
    frameworks,
    process_checks,
    scoring,
)
from assessments.views import checks as check_views
from assessments.views import dashboard as dashboard_views
from assessments.views import exchange as exchange_views
from assessments.views import processes as process_views
from assessments.views import starter as starter_views

audit_patterns = (
    [
        path("", audit.audit_log, name="log"),
        path("audit.json", audit.audit_export, name="export"),
    ],
    "audit",
)

app_name = "assessments"
A = "assessments/<int:assessment_id>/"
P = A + "processes/<int:score_id>/"
C = P + "checks/<slug:check_key>/"
urlpatterns = [
    path("assessments/", assessments.assessment_list, name="assessment-list"),
    path("assessments/new/", assessments.assessment_new, name="assessment-create"),
    path("frameworks/", frameworks.framework_list, name="frameworks"),
    path("benchmarks/", benchmarks.benchmarks, name="benchmarks"),
    path("benchmarks/benchmarks.json", benchmarks.benchmarks_export, name="benchmarks-export"),
    path(
        "frameworks/<int:framework_id>/download/",
        frameworks.framework_download,
        name="framework-download",
    ),
    path(A, assessments.assessment_detail, name="assessment-detail"),
    path(A + "state/", assessments.assessment_state, name="assessment-state"),
    path(A + "finalize/", assessments.assessment_finalize, name="assessment-finalize"),
    path(A + "revise/", assessments.assessment_revise, name="assessment-revise"),
    path(A + "agreement/", agreement.agreement, name="assessment-agreement"),
    path(A + "agreement/set/", agreement.agree, name="assessment-agreement-set"),
    path(A + "processes/<int:score_id>/", scoring.process_score, name="process-score"),
    path(A + "processes/<int:score_id>/answer/", scoring.criterion_answer, name="criterion-answer"),
    path(A + "processes/<int:score_id>/target/", scoring.process_target, name="process-target"),
    path(C + "preview/", process_checks.check_preview_view, name="check-preview"),
    path(C + "bind/", process_checks.check_bind_view, name="check-bind"),
    path(C + "unbind/", process_checks.check_unbind_view, name="check-unbind"),
    path(C + "tune/", process_checks.check_tune_view, name="check-tune"),
    path(C + "run/", process_checks.check_run_view, name="check-run"),
    path(
        P + "criteria/<slug:criterion_key>/evidence/",
        process_checks.evidence_add_view,
        name="evidence-add",
    ),
    path(P + "criteria/<slug:criterion_key>/na/", process_checks.na_accept_view, name="na-accept"),
    path(
        P + "evidence/<int:evidence_id>/accept/",
        process_checks.evidence_accept_view,
        name="evidence-accept",
    ),
    path(A + "readiness/<slug:dimension_key>/", scoring.readiness, name="readiness"),
    path(
        A + "readiness/<slug:dimension_key>/answer/",
        scoring.readiness_answer,
        name="readiness-answer",
    ),
    path(
        A + "readiness/<slug:dimension_key>/scope/",
        scoring.dimension_scope,
        name="dimension-scope",
    ),
    path("processes/", process_views.process_list, name="processes"),
    path("checks/", check_views.check_bindings, name="check-bindings"),
    path("processes/new/", process_views.process_create, name="process-create"),
    path("processes/import/", process_views.process_import, name="process-import"),
    path("get-started/", starter_views.starter, name="starter"),
    path(
        "processes/import/template.csv",
        process_views.process_import_template,
        name="process-import-template",
    ),
    path("processes/<int:process_id>/", process_views.process_edit, name="process-edit"),
    path(
        "processes/<int:process_id>/archive/",
        process_views.process_archive,
        name="process-archive",
    ),
]
urlpatterns += [
    path(
        A + "dashboard/",
        dashboard_views.assessment_dashboard,
        name="assessment-dashboard",
    ),
    path("assessments/compare/", dashboard_views.assessment_compare, name="assessment-compare"),
]
urlpatterns += [
    path(
        A + "export.<str:format>",
        exchange_views.assessment_export,
        name="assessment-export",
    ),
    path("assessments/import/", exchange_views.assessment_import, name="assessment-import"),
]
from assessments.views import milestones as milestone_views  # noqa: E402
from assessments.views import roadmaps as roadmap_views  # noqa: E402

R = "roadmaps/<int:roadmap_id>/"
M = "milestones/<int:milestone_id>/"
urlpatterns += [
    path("roadmaps/", roadmap_views.roadmap_list, name="roadmap-list"),
    path("roadmaps/new/", roadmap_views.roadmap_create, name="roadmap-create"),
    path(R, roadmap_views.roadmap_detail, name="roadmap-detail"),
    path(R + "settings/", roadmap_views.roadmap_edit, name="roadmap-edit"),
    path(R + "regenerate/", roadmap_views.roadmap_regenerate, name="roadmap-regenerate"),
    path(R + "board/", roadmap_views.roadmap_board, name="roadmap-board"),
    path(R + "timeline/", roadmap_views.roadmap_timeline, name="roadmap-timeline"),
    path(R + "export.<str:format>", roadmap_views.roadmap_export, name="roadmap-export"),
    path(R + "milestones/new/", milestone_views.milestone_create, name="milestone-create"),
    path("milestones/mine/", milestone_views.milestone_mine, name="milestone-mine"),
    path(M, milestone_views.milestone_detail, name="milestone-detail"),
    path(M + "edit/", milestone_views.milestone_edit, name="milestone-edit"),
    path(M + "status/", milestone_views.milestone_status, name="milestone-status"),
    path(M + "comment/", milestone_views.milestone_comment, name="milestone-comment"),
    path(M + "move/", milestone_views.milestone_move, name="milestone-move"),
    path(M + "remove/", milestone_views.milestone_remove, name="milestone-remove"),
    path(M + "restore/", milestone_views.milestone_restore, name="milestone-restore"),
]
from assessments.views import feeds as feed_views  # noqa: E402

C = "criteria/<int:criterion_id>/"
urlpatterns += [
    path(M + "verify/", milestone_views.milestone_verify, name="milestone-verify"),
    path(M + "criteria/new/", milestone_views.criterion_create, name="criterion-create"),
    path(C, milestone_views.criterion_edit, name="criterion-edit"),
    path(C + "remove/", milestone_views.criterion_remove, name="criterion-remove"),
    path("milestones/mine/feed/reset/", feed_views.milestone_feed_reset, name="feed-reset"),
]
from assessments.views import attestations as attestation_views  # noqa: E402
from assessments.views import reports as report_views  # noqa: E402

urlpatterns += [
    path("reports/attest/", attestation_views.attest, name="attest"),
    path(
        "reports/attestations/<int:attestation_id>/",
        attestation_views.attestation_detail,
        name="attestation-detail",
    ),
    path("reports/", report_views.report_list, name="report-list"),
    path("reports/<int:report_id>/", report_views.report_detail, name="report-detail"),
    path(
        "reports/<int:report_id>/download/",
        report_views.report_download,
        name="report-download",
    ),
]
from assessments.views import outcomes as outcome_views  # noqa: E402

K = "kpis/<int:kpi_id>/"
urlpatterns += [
    path("kpis/", outcome_views.kpi_list, name="kpi-list"),
    path("kpis/new/", outcome_views.kpi_create, name="kpi-create"),
    path(K + "edit/", outcome_views.kpi_edit, name="kpi-edit"),
    path(K + "delete/", outcome_views.kpi_delete, name="kpi-delete"),
]
