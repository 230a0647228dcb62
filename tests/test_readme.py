"""README stays true: its Python examples run, and it names every public name of the package."""

import re
from pathlib import Path

import numpy as np

import explorer
import explorer.exercises
import explorer.scenarios

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_the_core_example_runs_and_its_numbers_agree():
    scope = {}
    exec(python_blocks()[0], scope)
    t, fd = scope["t"], scope["fd"]
    # The example's finite differences (eq. 46) agree with its backprop trace.
    for l in t.layers:
        np.testing.assert_allclose(fd.nabla_w[l], t.nabla_w[l], rtol=1e-6, atol=1e-9)
    # And the path sum of eq. 53 equals ∂C/∂w^2_21 from BP4.
    assert abs(scope["path_sum"](scope["net"], scope["x"], scope["y"], layer=2, j=1, k=0).total
               - t.nabla_w[2][1, 0]) < 1e-12


def test_readme_names_every_public_name():
    missing = [name for name in explorer.__all__ + explorer.scenarios.__all__ + explorer.exercises.__all__
               if not re.search(rf"\b{re.escape(name)}\b", README)]
    assert not missing, f"README does not mention: {missing}"


def test_every_network_method_readme_lists_exists():
    listed = re.search(r"`Network` \((.*?)\), `Trace`", README, flags=re.S).group(1)
    names = re.findall(r"`(\w+)`", listed)
    assert len(names) > 20
    net = explorer.Network([2, 3, 1], seed=0)
    assert [n for n in names if not hasattr(net, n)] == []
