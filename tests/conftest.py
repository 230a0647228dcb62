import os

from hypothesis import HealthCheck, settings

# Deterministic in CI (no flaky shrinking surprises), a little wider locally.
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collection_modifyitems(config, items):
    """Browser tests last: the fast tests report first, and Playwright's event loop is gone
    before any test that runs its own (see tests/browser/conftest.py)."""
    items.sort(key=lambda item: "browser" in item.path.parent.parts)
