from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from accounts.access import org_view
from accounts.models import Industry
from assessments.forms.starter import StarterForm
from assessments.starter import starter_add, suggestions


@org_view(facilitate=True, methods=("GET", "POST"))
def starter(request):
    """Get started: the processes and sites typical of the organisation's industry, to tick,
    rename or drop, then add. Owners and consultants, who set the organisation up."""
    industry = request.POST.get("industry") or request.GET.get("industry") or request.org.industry
    industry = industry if industry in Industry.values else ""
    processes, sites = suggestions(industry, request.org)
    form = StarterForm(
        request.POST or None, processes=processes, sites=sites, organization=request.org
    )
    if request.method == "POST" and form.is_valid():
        try:
            starter_add(
                organization=request.org,
                user=request.user,
                industry=industry,
                processes=form.chosen_processes,
                sites=form.chosen_sites,
            )
        except ValidationError as error:  # a name taken meanwhile
            form.add_error(None, error)
        else:
            n, m = len(form.chosen_processes), len(form.chosen_sites)
            messages.success(
                request,
                f"Added {n} process{'es' if n != 1 else ''} and {m} site{'s' if m != 1 else ''}.",
            )
            return redirect("assessments:processes", org_slug=request.org.slug)
    context = {
        "form": form,
        "industry": industry,
        "industries": Industry.choices,
    }
    return render(request, "assessments/starter.html", context, status=400 if form.errors else 200)
