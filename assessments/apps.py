from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        # Integration may not import assessments: its pages learn what an integration backs
        # (processes, milestones) and how its list filters by process and site from the providers
        # registered here.
        from assessments.evidence import backed_by_integration, integration_facets
        from integration import backing, listing

        backing.register(backed_by_integration)
        listing.register(integration_facets)
