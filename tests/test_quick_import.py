"""explorer.quick_import: jsonschema without the optional package that costs a class kernel 1.2 s."""

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


HAS_SLOW_OPTIONAL = pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import rfc3987_syntax"], capture_output=True).returncode != 0,
    reason="rfc3987_syntax is not installed here: nothing to hide",
)


@HAS_SLOW_OPTIONAL
def test_reading_scenarios_does_not_import_the_slow_optional_package_and_it_stays_importable():
    out = run("""
        import sys
        from explorer.scenarios import ScenarioError, read_scenario
        read_scenario("healthy")
        print("jsonschema" in sys.modules, "rfc3987_syntax" in sys.modules)
        try:  # the schema is still checked, by jsonschema
            read_scenario({"format": "backprop-explorer-scenario", "version": 1, "network": 3, "example": {}})
        except ScenarioError as error:
            print("refused:", error)
        import rfc3987_syntax  # hidden only during jsonschema's import
        print(rfc3987_syntax.__name__)
    """)
    lines = out.splitlines()
    assert lines[0] == "True False"
    assert lines[1].startswith("refused: network: expected")
    assert lines[2] == "rfc3987_syntax"


@HAS_SLOW_OPTIONAL
def test_the_package_is_hidden_only_while_jsonschema_is_not_imported_yet():
    out = run("""
        from explorer.quick_import import import_quickly
        try:
            import_quickly("rfc3987_syntax")  # jsonschema not imported yet: hidden
        except ImportError:
            print("hidden")
        import jsonschema
        print(import_quickly("rfc3987_syntax").__name__)  # now nothing is hidden
    """)
    assert out.splitlines() == ["hidden", "rfc3987_syntax"]


def test_a_module_that_does_not_exist_still_raises_and_hides_nothing_after():
    out = run("""
        import sys
        from explorer.quick_import import SLOW_OPTIONAL, import_quickly
        try:
            import_quickly("no_such_module_here")
        except ModuleNotFoundError as error:
            print("raised", error.name)
        print(any(name in sys.modules and sys.modules[name] is None for name in SLOW_OPTIONAL))
    """)
    assert out.splitlines() == ["raised no_such_module_here", "False"]
