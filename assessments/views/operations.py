"""The operations page for the people who run Ladder: the background processes' liveness."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.access import staff_view
from assessments.operations import BAD, WARN, operations_snapshot


@require_safe
@staff_view
def operations(request):
    """Each component's instances, heartbeats, backlog and errors; `?format=json` for
    monitoring (503 while a component is in a bad state, so a plain HTTP check alerts)."""
    now = timezone.now()
    components = operations_snapshot(now=now)
    bad = any(c.state == BAD for c in components)
    if request.GET.get("format") == "json":
        data = {
            "at": now.isoformat(),
            "state": BAD if bad else WARN if any(c.state == WARN for c in components) else "ok",
            "components": [c.as_json() for c in components],
        }
        return JsonResponse(data, status=503 if bad else 200)
    return render(request, "assessments/operations.html", {"components": components, "now": now})
