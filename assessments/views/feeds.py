"""Each person's milestones as an iCalendar feed: the feed itself, outside /o/<org_slug>/
because calendar apps cannot log in (its key is the only credential), and resetting its key."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from accounts.access import org_view
from assessments.roadmaps import feeds


@require_safe
def milestone_feed(request, key):
    """No login: an unknown or reset key is a 404, like a page that does not exist."""
    body = feeds.feed_render(key=key)
    if body is None:
        raise Http404("No such feed")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ladder-milestones.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def feed_context(request) -> dict:
    """The feed section of the "mine" page: the person's private feed URL."""
    return {"feed_url": feeds.feed_url(feeds.feed_key_get(user=request.user))}


@org_view(personal=True, methods=("POST",))
def milestone_feed_reset(request):
    """The key is the person's own, so viewers reset theirs too."""
    feeds.feed_key_reset(user=request.user)
    messages.success(
        request,
        "Your calendar link was reset: the old one no longer works. Give your calendar app the "
        "new one below.",
    )
    return redirect("assessments:milestone-mine", request.org.slug)
