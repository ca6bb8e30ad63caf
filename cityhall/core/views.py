"""Views every deployment needs: the liveness and readiness checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.apps import apps
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.apps import StaticFilesConfig
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def database_answers() -> bool:
    """Whether the database answers a trivial query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: 200 when the database answers, 503 when it does not."""
    if not database_answers():
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@dataclass(frozen=True)
class Check:
    """One readiness check's outcome: "ok" or a failure code, and what the operator should do."""

    code: str
    detail: str = ""


OK = Check("ok")


def check_database() -> Check:
    """The database answers."""
    return OK if database_answers() else Check("unreachable", "the database does not answer")


def check_migrations() -> Check:
    """Every migration this code carries is applied to the database."""
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return Check("unreachable", "the migration records could not be read")
    if not plan:
        return OK
    names = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    return Check("unapplied", f"{len(names)} not applied, first {names[0]}: run `cityhall migrate`")


def static_source_files() -> set[str]:
    """The paths `collectstatic` would collect, as the manifest names them."""
    ignore = cast(StaticFilesConfig, apps.get_app_config("staticfiles")).ignore_patterns
    return {
        path.replace("\\", "/")
        for finder in finders.get_finders()
        for path, _storage in finder.list(ignore)
    }


def check_static() -> Check:
    """The manifest this process renders `{% static %}` from names every static file.

    A process reads the manifest once, when it first needs it: a manifest written after it
    started is not seen until it restarts, and its pages fail meanwhile, so that is checked.
    """
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return OK  # development storage: files are served as they are, no manifest to miss
    hashed = staticfiles_storage.hashed_files
    if not hashed:
        return Check("manifest_missing", f"no {staticfiles_storage.manifest_name} was loaded: "
                     "run `cityhall collectstatic --no-input`, then restart")
    missing = sorted(static_source_files() - set(hashed))
    if missing:
        return Check("manifest_incomplete", f"{len(missing)} files not in the manifest, first "
                     f"{missing[0]}: run `cityhall collectstatic --no-input`, then restart")
    return OK


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when this process can serve pages; 503 naming the checks that failed."""
    database = check_database()
    unchecked = Check("unchecked", "needs the database")
    results = {
        "database": database,
        "migrations": check_migrations() if database == OK else unchecked,
        "static": check_static(),
    }
    failed = [name for name, result in results.items() if result != OK]
    body = {
        "status": "error" if failed else "ok",
        "failed": failed,
        "checks": {name: result.code for name, result in results.items()},
        "detail": {name: results[name].detail for name in failed},
    }
    return JsonResponse(body, status=503 if failed else 200)


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown addresses under /api/ answer in the API's error shape, not an HTML page."""
    return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
