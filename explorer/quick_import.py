"""Importing a module without the optional package that would make the import slow.

``import jsonschema`` also imports ``rfc3987_syntax`` when it is installed (jupyter-events
brings it along), and that package builds a grammar on import: about 1.2 s of CPU on a 2-core
machine. jsonschema wants it for one "format" check (IRIs) that nothing here asks for. The
scenarios' reader imports jsonschema, and so does Voila's ``get_query_string`` (through
jupyter_server), which every pooled kernel of the class server calls: without this, each
student's kernel spent more than half of its start building that grammar, while the class's
pages waited for the same two cores.

:func:`import_quickly` imports a module with those packages hidden for the time of the import (a
``None`` entry in ``sys.modules`` makes an import fail as for a package that is not installed;
jsonschema then leaves that format unchecked) and removes the entries right after, so a later
``import rfc3987_syntax`` works as usual. Nothing is hidden once jsonschema is imported.
"""

from __future__ import annotations

import importlib
import sys

#: Optional packages that are slow to import and not needed here.
SLOW_OPTIONAL = ("rfc3987_syntax",)


def import_quickly(name: str):
    """``importlib.import_module(name)``, with the ``SLOW_OPTIONAL`` packages hidden meanwhile."""
    hidden = [] if "jsonschema" in sys.modules else [m for m in SLOW_OPTIONAL if m not in sys.modules]
    for module in hidden:
        sys.modules[module] = None
    try:
        return importlib.import_module(name)
    finally:
        for module in hidden:
            if module in sys.modules and sys.modules[module] is None:
                del sys.modules[module]


__all__ = ["SLOW_OPTIONAL", "import_quickly"]
