from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cityhall.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from cityhall.core import checks, jobs

        checks.register()

        # Tasks enqueued with django-tasks (`@task`, database backend) run in the worker
        # too: after the apps' periodic jobs, before the outbox delivers what they wrote.
        jobs.register("core.tasks", jobs.run_queued_tasks, per_round=100, order=70,
                      says=lambda ran: {"ran": ran})
