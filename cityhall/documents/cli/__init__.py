"""The subcommands of `cityhall documents` (management/commands/documents.py).

Each module of this package is one subcommand, found by its file name (`verify.py` is
`cityhall documents verify`; a name starting with `_` is not one). A module exposes:

- `HELP`: one line for `cityhall documents --help`;
- `add_arguments(parser)`: its arguments, on its own argparse sub-parser;
- `handle(options) -> int | None`: the work; `options` holds the parsed arguments and
  `stdout` and `stderr` (the command's output wrappers); a non-zero int is the exit status.

Adding a subcommand is adding a module: the command itself does not change.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def subcommands() -> dict[str, ModuleType]:
    """Every subcommand's module, by name, in alphabetical order."""
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        found[info.name] = importlib.import_module(f"{__name__}.{info.name}")
    return found
