"""In an installed package this folder is ``explorer.assets``: the MNIST digits (see MNIST-SOURCE.md).

pyproject.toml maps it onto that sub-package so that the wheel carries the digits inside
``explorer`` and ``explorer.core.data`` finds them with ``importlib.resources``.
"""
