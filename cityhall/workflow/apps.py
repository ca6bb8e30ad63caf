from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "cityhall.workflow"
    label = "workflow"
    verbose_name = _("Workflow")

    def ready(self) -> None:
        from cityhall.workflow import calendar_data, definitions, engine, models

        engine.register_case_type(models.ExampleCase, "example")
        calendar_data.connect_cache_invalidation()
        definitions.connect_cache_invalidation()
