"""Assessment pages, mounted under /o/<org_slug>/ by config.urls (namespace "assessments")."""

app_name = "assessments"
urlpatterns = []
