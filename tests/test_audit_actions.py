"""Every audit action is defined once, in its app's enum, and docs/security.md lists it."""

from __future__ import annotations

import re
from pathlib import Path

import cityhall.urls  # noqa: F401  (every app's services, hence every app's actions)
from cityhall.core.audit import AuditAction

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"


def platform_actions() -> dict[str, str]:
    """Every member of every app's `AuditAction` enum: action -> enum name."""
    found: dict[str, str] = {}
    pending = list(AuditAction.__subclasses__())
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        if not kind.__module__.startswith("cityhall."):
            continue  # the tests' own probes
        for member in kind:
            assert member.value not in found, f"{member.value} in {found[member.value]} too"
            found[member.value] = kind.__name__
    return found


def documented() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## What is audited"):]
    return set(re.findall(r"`([a-z_0-9]+\.[a-z_0-9<>]+)`", table))


def test_every_action_is_an_app_and_a_verb() -> None:
    for action, kind in platform_actions().items():
        assert re.fullmatch(r"[a-z_0-9]+\.[a-z_0-9]+", action), (kind, action)


def test_security_md_lists_every_action() -> None:
    missing = set(platform_actions()) - documented()
    assert not missing, f"docs/security.md, 'What is audited', does not list {sorted(missing)}"


def test_security_md_lists_no_action_that_is_not_written() -> None:
    written = set(platform_actions()) | {"workflow.<action>", "workflow.assign",
                                         "workflow.resolve"}
    unknown = documented() - written
    assert not unknown, f"docs/security.md lists actions nothing writes: {sorted(unknown)}"
