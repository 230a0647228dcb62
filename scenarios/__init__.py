"""In an installed package this folder is ``explorer.scenario_files``: the prepared scenarios.

pyproject.toml maps it onto that sub-package so that the wheel carries the *.json files inside
``explorer``; ``explorer.scenarios.prepared_scenarios()`` lists them.
"""
