"""What each domain app puts into the portal's shell: menu entries, home and staff-home panels.

The shell (`portal`) sits above the domain apps and must not know them by name; the apps sit
above `core`, so they register here from `AppConfig.ready()` and the shell reads the lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class MenuItem:
    """A link in the site's main menu, current on every page of its URL namespace (or, `exact`,
    on its own page only)."""

    label: str | Promise
    url_name: str
    namespace: str
    order: int = 100
    #: Shown only to signed-in users (a staff queue), or to everyone.
    signed_in_only: bool = False
    #: Shown only to signed-in residents and businesses (not to staff): their own pages.
    residents_only: bool = False
    #: Current only on its own page, not on every page of its namespace.
    exact: bool = False


@dataclass(frozen=True)
class Panel:
    """A card on the staff home: one domain's work, in numbers, for the signed-in user."""

    template: str
    #: Builds the template's context for the user; runs on every visit of the staff home.
    context: Callable[[Any], Mapping[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class HeaderItem:
    """A template included in the site header's tools (the notices bell), for every page."""

    template: str
    order: int = 100


_menu: dict[str, MenuItem] = {}
_panels: dict[str, Panel] = {}
_home_panels: dict[str, Panel] = {}
_resident_home: list[str] = []
_header: dict[str, HeaderItem] = {}


def register_menu_item(item: MenuItem) -> None:
    """Add (or replace, on a second `ready()`) an app's menu entry."""
    _menu[item.url_name] = item


def register_panel(name: str, panel: Panel) -> None:
    """Add (or replace) an app's staff-home panel under a name of its own."""
    _panels[name] = panel


def menu_items() -> list[MenuItem]:
    """The registered menu entries, in their order."""
    return sorted(_menu.values(), key=lambda item: (item.order, item.url_name))


def panels() -> list[Panel]:
    """The registered staff-home panels, in their order."""
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.template))


def register_home_panel(name: str, panel: Panel) -> None:
    """Add (or replace) a card of the public home page; its context gets the visitor."""
    _home_panels[name] = panel


def home_panels() -> list[Panel]:
    """The public home page's cards, in their order (the services first)."""
    return sorted(_home_panels.values(), key=lambda panel: (panel.order, panel.template))


def register_resident_home(url_name: str) -> None:
    """Name the page a signed-in resident lands on (instead of the staff home)."""
    _resident_home[:] = [url_name]


def resident_home() -> str | None:
    """The URL name of the residents' landing page, if an app registered one."""
    return _resident_home[0] if _resident_home else None


def register_header_item(name: str, item: HeaderItem) -> None:
    """Add (or replace) a template in the site header under a name of its own."""
    _header[name] = item


def header_items() -> list[HeaderItem]:
    """The registered header templates, in their order."""
    return sorted(_header.values(), key=lambda item: (item.order, item.template))
