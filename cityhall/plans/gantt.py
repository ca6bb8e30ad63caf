"""One plan as the Gantt chart draws it: tasks, links, phases, statuses and the critical path.

The same data answers `GET /api/v1/plans/{id}/gantt` and fills the chart's page, so the two
never disagree. Reads are bounded: a handful of queries whatever the number of tasks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from cityhall.plans.models import Dependency, Field, Plan, Task
from cityhall.plans.schedule import plan_schedule
from cityhall.plans.status import Node, Status, rolled_up, task_status
from cityhall.plans.targets import target_states
from cityhall.workflow.calendar_data import current_calendar

#: The statuses the "late only" view keeps: late now, or done after the due date.
LATE = frozenset({Status.OVERDUE.value, Status.DONE_LATE.value})


def gantt_data(plan: Plan, user: Any, today: dt.date, *, late_only: bool = False
               ) -> dict[str, Any]:
    """The chart's data for the tasks of `plan` that `user` may see.

    The critical path is a fact of the whole plan, computed over all of its tasks that
    are not cancelled; a task the user may not see is left out, and so are its links.
    `late_only` keeps the tasks overdue or done late (and the links between them).
    """
    rows = list(Task.objects.filter(plan=plan).order_by("start", "pk").values(
        "id", "title", "start", "due", "progress", "weight", "parent_id", "cancelled",
        "done_on", "phase_id", "lead_unit__name", "lead_unit__code",
        "person_in_charge__full_name", "person_in_charge__username"))
    visible = set(Task.objects.visible_to(user).filter(plan=plan).values_list("id", flat=True))
    links = list(Dependency.objects.filter(successor__plan=plan).values_list(
        "predecessor_id", "successor_id", "lag"))
    live = [r for r in rows if not r["cancelled"]]
    live_ids = {r["id"] for r in live}
    schedule = plan_schedule(
        current_calendar(), [(r["id"], r["start"], r["due"]) for r in live],
        [link for link in links if link[0] in live_ids and link[1] in live_ids])
    progress = rolled_up({r["id"]: Node(parent=r["parent_id"], weight=r["weight"],
                                        progress=r["progress"], cancelled=r["cancelled"])
                          for r in rows})
    before: dict[int, list[dict[str, int]]] = {}
    for pred, succ, lag in links:
        if pred in visible:
            before.setdefault(succ, []).append({"id": pred, "lag": lag})
    targets = target_states(Task.objects.filter(plan=plan), today)
    labels = {status: str(status.label) for status in Status}
    tasks: list[dict[str, Any]] = []
    for r in rows:
        if r["id"] not in visible:
            continue
        status = task_status(start=r["start"], due=r["due"], done_on=r["done_on"],
                             progress=r["progress"], cancelled=r["cancelled"], today=today)
        tasks.append({
            "id": r["id"], "title": r["title"], "start": r["start"], "end": r["due"],
            "progress": round(progress[r["id"]], 1), "status": status.value,
            "status_label": labels[status], "lead_unit": r["lead_unit__name"],
            "lead_unit_code": r["lead_unit__code"],
            "person_in_charge": (r["person_in_charge__full_name"]
                                 or r["person_in_charge__username"] or ""),
            "parent": r["parent_id"], "phase": r["phase_id"], "done_on": r["done_on"],
            "dependencies": before.get(r["id"], []),
            "critical": r["id"] in schedule.critical,
            "target": targets[r["id"]].as_dict() if r["id"] in targets else None,
        })
    if late_only:
        tasks = [t for t in tasks if t["status"] in LATE]
        kept = {t["id"] for t in tasks}
        for task in tasks:
            task["dependencies"] = [d for d in task["dependencies"] if d["id"] in kept]
    return {
        "id": plan.pk, "title": plan.title, "today": today,
        "phases": [{"id": p.pk, "name": p.name, "deadline": p.deadline}
                   for p in plan.phases.all()],
        "tasks": tasks,
    }


def across_plans(user: Any, today: dt.date, *, field: str = "", unit: str = "") -> dict[str, Any]:
    """One field's tasks, or one unit's (the lead unit's code), across the plans the user may
    see, in the chart's shape: each plan's tasks with its own critical path, its phases named
    after it. Both empty: every plan the user sees.
    """
    plans = [p for p in Plan.objects.visible_to(user).prefetch_related("phases")
             .order_by("pk") if not field or field in p.fields]
    if unit:
        with_unit = set(Task.objects.visible_to(user).filter(
            plan__in=plans, lead_unit__code=unit).values_list("plan_id", flat=True))
        plans = [p for p in plans if p.pk in with_unit]
    phases: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    for plan in plans:
        data = gantt_data(plan, user, today)
        chosen = [t for t in data["tasks"] if not unit or t["lead_unit_code"] == unit]
        ids = {t["id"] for t in chosen}
        for task in chosen:
            # A link to a task left out would point at nothing.
            task["dependencies"] = [d for d in task["dependencies"] if d["id"] in ids]
            task["plan"] = plan.pk
        tasks += chosen
        used = {t["phase"] for t in chosen}
        phases += [{**p, "name": f"{_short(plan.title)}: {p['name']}"}
                   for p in data["phases"] if p["id"] in used]
    labels = dict(Field.choices)
    title = " · ".join(filter(None, [str(labels.get(field, "")), unit])) or _("All plans")
    return {"id": None, "title": title, "today": today, "phases": phases, "tasks": tasks}


def _short(title: str) -> str:
    return title if len(title) <= 40 else title[:39] + "…"
