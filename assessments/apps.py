from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        # Integration may not import assessments: its pages learn what an integration backs
        # (processes, milestones) from the provider registered here.
        from assessments.evidence import backed_by_integration
        from integration import backing

        backing.register(backed_by_integration)
