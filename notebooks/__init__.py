"""In an installed package this folder is ``explorer.notebooks``, which carries classroom.ipynb.

pyproject.toml maps it onto that sub-package so that the wheel ships the classroom notebook and
``python -m explorer classroom`` can serve it with Voila wherever the package is installed.
"""
