"""Integration URLs: the token-authenticated ingest API and the organisation's pages.

`api_patterns` are mounted at the site root (/api/...); `org_patterns` under
/o/<org_slug>/integrations/ by config.urls.
"""

api_patterns = []

app_name = "integration"
urlpatterns = []
