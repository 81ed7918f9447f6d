"""The organisation's checks at a glance: each process's framework checks, their standing and
bound integrations (the check bindings page), and binding one integration to one check role
on several processes at once, after a preview of how it would have judged each process's last
14 days (`bind_many_preview`, which saves nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from assessments.models import Assessment, FrameworkVersion, Process
from assessments.models.verification import ProcessCheck
from assessments.verified.bindings import PreviewDay, check_bind, check_preview
from assessments.verified.status import CheckView, _check_view, _process_checks

LIVE_STATES = (Assessment.State.DRAFT, Assessment.State.REVIEW)


@dataclass
class ProcessChecks:
    process: Process
    checks: list[CheckView]

    def items(self) -> SafeString:
        """The checks as list items (standing, name, what is bound), in one `format_html`
        pass with every name escaped: a page of the board has ~180, each ~6 template lookups
        and a filter before."""
        return format_html_join(
            "",
            '<li><span class="standing standing-{}">{}</span> <span title="{}">{}</span> '
            '<span class="muted small" hx-disable>{}</span></li>',
            (
                (
                    c.standing.replace(" ", "-"),
                    c.standing,
                    c.key,
                    c.name,
                    c.bound_to or "not bound",
                )
                for c in self.checks
            ),
        )


def board_framework(organization) -> tuple[FrameworkVersion, Assessment | None]:
    """The framework of the organisation's latest draft or in-review assessment (and it), or
    the one new assessments start on."""
    latest = (
        Assessment.objects.filter(organization=organization, state__in=LIVE_STATES)
        .select_related("framework")
        .order_by("-created", "-pk")
        .first()
    )
    if latest is not None:
        return latest.framework, latest
    return FrameworkVersion.objects.shipped(), None


def area_checks(framework: FrameworkVersion) -> dict[str, list]:
    """Area key -> the framework's checks on its criteria, by level then order."""
    definition = framework.definition
    found: dict[str, list] = {}
    for check in definition.checks:
        criterion = definition.criterion(check.criterion)
        found.setdefault(criterion.area, []).append((criterion.level, check))
    return {
        area: [c for _, c in sorted(items, key=lambda x: x[0])] for area, items in found.items()
    }


def board(processes, framework: FrameworkVersion, *, now: datetime) -> list[ProcessChecks]:
    """Each process with a view of every check of its area (unbound ones too)."""
    rows = _process_checks(processes, history=False, now=now)
    by_area = area_checks(framework)
    return [
        ProcessChecks(
            process=p,
            checks=[_check_view(c, rows.get((p.pk, c.key)), now) for c in by_area.get(p.area, [])],
        )
        for p in processes
    ]


@transaction.atomic
def bind_many(*, processes, framework, check_key, role, integration, metric, user) -> int:
    """`check_bind` on each process (each audited); all or none. Raises BindingRefused."""
    for process in processes:
        check_bind(
            process=process,
            framework=framework,
            check_key=check_key,
            role=role,
            integration=integration,
            metric=metric,
            user=user,
        )
    return len(processes)


def bind_many_preview(
    *, processes, framework, check_key, role, integration, metric, now: datetime
) -> list[tuple[Process, list[PreviewDay]]]:
    """Each process with how the check would have judged its last 14 days with `integration`
    (and `metric`) as `role`, its other roles as bound now, its own threshold and site's
    hours (`check_preview`). Saves nothing; processes alike are judged once."""
    check = framework.definition.checks_by_key[check_key]
    rows = {
        row.process_id: row
        for row in ProcessCheck.objects.filter(
            process__in=processes, check_key=check_key
        ).prefetch_related("bindings__integration")
    }
    judged: dict[tuple, list[PreviewDay]] = {}
    result = []
    for process in processes:
        row = rows.get(process.pk)
        bound = {b.role: (b.integration, b.metric) for b in row.bindings.all()} if row else {}
        bound[role] = (integration, metric.strip())
        threshold = row.threshold if row else None
        alike = (threshold, process.site_id, sorted((r, i.pk, m) for r, (i, m) in bound.items()))
        key = repr(alike)
        if key not in judged:
            judged[key] = check_preview(
                check=check, bound=bound, threshold=threshold, now=now, site=process.site
            )
        result.append((process, judged[key]))
    return result
