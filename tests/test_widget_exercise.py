"""The exercise panel and the diagram's marks.

The panel is driven as a student would (its button, the notebook's namespace, a re-run cell
through IPython's own event manager); what it shows is compared with ``check(...)`` called
here independently, and the marked values with δ, ∂C/∂b and ∂C/∂w computed by this file's
own numpy from the failing case's inputs and by finite differences.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from IPython.core.events import EventManager, available_events

from explorer import Network
from explorer.widgets.diagram import NetworkDiagram
from explorer.widgets.state import ExplorerState

from helpers import sigma


# ------------------------------------------------------------------ the diagram's marks
@pytest.fixture
def diagram():
    net = Network([3, 4, 2], seed=3)
    state = ExplorerState(net, np.array([0.5, -0.2, 0.9]), np.array([1.0, 0.0]))
    return NetworkDiagram(state)


def test_marks_carry_book_labels_and_both_values(diagram):
    builds = diagram.builds
    diagram.set_marks([
        {"kind": "weight", "layer": 3, "j": 1, "k": 3, "expected": 0.25, "got": -0.5},
        {"kind": "neuron", "layer": 2, "j": 0, "label": "δ^2_1", "expected": -0.03125, "got": 0.125},
        {"kind": "bias", "layer": 3, "j": 0, "expected": 1.5, "got": float("nan")},
    ])
    weight, neuron, bias = diagram.view.marks
    assert (weight["kind"], weight["l"], weight["j"], weight["k"]) == ("weight", 3, 1, 3)
    assert weight["label"] == "w^3_24"  # 1-based, as the book writes it
    assert weight["tip"] == "w^3_24 — yours: −0.5   expected: 0.25"
    assert neuron["tip"] == "δ^2_1 — yours: 0.125   expected: −0.03125"
    assert bias["label"] == "b^3_1" and "yours: NaN" in bias["tip"] and bias["got"] is None
    # marks are their own trait: the picture's JSON is not rebuilt for them
    assert diagram.builds == builds
    assert diagram.marks == [dict(m) for m in diagram.view.marks]
    diagram.state.set_weight(3, 0, 0, 0.7)  # a new trace redraws the picture and keeps the marks
    assert diagram.builds == builds + 1 and len(diagram.view.marks) == 3
    diagram.clear_marks()
    assert diagram.view.marks == []


@pytest.mark.parametrize(
    "marks, error, words",
    [
        ([{"kind": "edge", "layer": 2, "j": 0}], ValueError, "kind"),
        ([{"kind": "neuron", "j": 0}], KeyError, "'layer'"),
        ([{"kind": "weight", "layer": 2, "j": 0}], KeyError, "'k'"),
        ([{"kind": "weight", "layer": 4, "j": 0, "k": 0}], IndexError, "layer"),
        ([{"kind": "bias", "layer": 1, "j": 0}], IndexError, "layer must be 2..3"),
        ([{"kind": "neuron", "layer": 2, "j": 4}], IndexError, "j must be 0..3"),
        ([{"kind": "weight", "layer": 2, "j": 0, "k": 3}], IndexError, "k must be 0..2"),
        ([{"kind": "neuron", "layer": 2.0, "j": 0}], ValueError, "int"),
        ([{"kind": "neuron", "layer": 2, "j": 0, "expected": float("inf")}], ValueError, "finite"),
        ([{"kind": "neuron", "layer": 2, "j": 0, "got": "many"}], ValueError, "got"),
        ({"kind": "neuron", "layer": 2, "j": 0}, ValueError, "list"),
        ([3], ValueError, "marks[0]"),
    ],
)
def test_bad_marks_are_refused_by_name(diagram, marks, error, words):
    with pytest.raises(error, match=re.escape(words)):
        diagram.set_marks(marks)
    assert diagram.view.marks == []
