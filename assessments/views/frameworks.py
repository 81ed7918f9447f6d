import yaml
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header

from accounts.access import org_view, refuse_unless
from assessments.forms.frameworks import FrameworkUploadForm
from assessments.models import FrameworkVersion


@org_view
def framework_list(request):
    form = FrameworkUploadForm(
        request.POST or None, request.FILES or None, organization=request.org
    )
    if request.method == "POST":
        refuse_unless(
            request.membership.can_facilitate, "Only owners and consultants can add frameworks."
        )
        if form.is_valid():
            fw = form.framework
            FrameworkVersion.objects.create(
                organization=request.org,
                key=fw.id,
                version=fw.version,
                title=fw.title,
                data=fw.as_dict(),
                uploaded_by=request.user,
            )
            messages.success(request, f"{fw.title} {fw.version} is ready for new assessments.")
            return redirect("assessments:frameworks", request.org.slug)
    FrameworkVersion.objects.shipped()
    frameworks = FrameworkVersion.objects.available_to(request.org).select_related("uploaded_by")
    context = {"form": form, "frameworks": frameworks}
    return render(
        request, "assessments/frameworks.html", context, status=400 if form.errors else 200
    )


@org_view
def framework_download(request, framework_id):
    """A framework as YAML, to reuse or adapt (shipped ones and this organisation's)."""
    queryset = FrameworkVersion.objects.available_to(request.org)
    framework = get_object_or_404(queryset, pk=framework_id)
    body = yaml.safe_dump(framework.data, sort_keys=False, allow_unicode=True, width=100)
    response = HttpResponse(body, content_type="application/yaml; charset=utf-8")
    filename = f"{framework.key}-{framework.version}.yaml"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
