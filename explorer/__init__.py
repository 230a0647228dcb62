"""Backprop Explorer: chapter 2 of Nielsen's Neural Networks and Deep Learning, live.

``from explorer import Network`` gives the traced numpy core; widget panels live in
``explorer.widgets`` and are imported only when asked for.
"""

from .core import *  # noqa: F401,F403
from .core import __all__ as _core_all

__all__ = list(_core_all)
