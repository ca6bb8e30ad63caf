from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "cityhall.workflow"
    label = "workflow"
    verbose_name = _("Workflow")

    def ready(self) -> None:
        from cityhall.core import jobs
        from cityhall.workflow import calendar_data, definitions, engine, models

        engine.register_case_type(models.ExampleCase, "example")
        calendar_data.connect_cache_invalidation()
        definitions.connect_cache_invalidation()
        # One round of the sweep: up to `per_round` due cases of each case type (a full
        # round has the worker come back at once).
        jobs.register("workflow.sweep", lambda limit: engine.sweep(batch=limit, rounds=1),
                      per_round=1000,
                      says=lambda r: {"reminded": r.reminded, "escalated": r.escalated,
                                      "closed": r.closed})
