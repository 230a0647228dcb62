"""The printed equations carry the right numbers and the book's 1-based names."""

import re

import pytest

from explorer import Network, report
from explorer.core.notation import neuron_name, weight_latex, weight_name

from helpers import read_number

#: A number in the one format (README, "Notation"): 0.8, −0.4, 4.3×10⁻¹¹.
NUMBER = r"[−-]?[0-9]+(?:\.[0-9]+)?(?:×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?"


def numbers_in(text):
    return [read_number(v) for v in re.findall(NUMBER, text)]


def test_book_names_are_one_based():
    assert weight_name(3, 1, 3) == "w^3_24"  # weights[3][1, 3] is the book's w^3_24
    assert neuron_name("δ", 2, 0) == "δ^2_1"
    assert weight_name(2, 11, 3) == "w^2_12,4"  # two-digit indices get a comma
    assert weight_latex(3, 1, 3) == "w^{3}_{24}"


def test_forward_pass_lines_add_up():
    net = Network([2, 3, 2], seed=1)
    t = net.trace([0.8, -0.4], [1, 0])
    text = report.forward_pass(net, t)
    assert text.splitlines()[0] == "a¹ = x = [0.8, −0.4]"
    line = next(l for l in text.splitlines() if l.startswith("z³₂ ="))
    numbers = numbers_in(line.split("a³₂")[0])
    products = sum(w * a for w, a in zip(numbers[0:6:2], numbers[1:6:2]))
    assert products + numbers[6] == pytest.approx(numbers[7], abs=1e-5)  # Σ w a + b = z
    assert numbers[7] == pytest.approx(t.z[3][1, 0], abs=1e-6)


def test_four_equations_show_the_trace_values():
    net = Network([2, 3, 2], seed=1)
    t = net.trace([0.8, -0.4], [1, 0])
    text = report.four_equations(net, t, l=2, j=1, k=0)
    bp4 = next(l for l in text.splitlines() if l.startswith("BP4"))
    assert "∂C/∂w²₂₁ = a¹₁ · δ²₂" in bp4
    assert read_number(bp4.rsplit("=", 1)[1]) == pytest.approx(t.nabla_w[2][1, 0], rel=5e-6)
    bp2 = next(l for l in text.splitlines() if l.startswith("BP2"))
    assert bp2.startswith("BP2  δ²₂ = (Σₖ w³ₖ₂ δ³ₖ) · σ′(z²₂)")
    assert read_number(bp2.rsplit("=", 1)[1]) == pytest.approx(t.delta[2][1, 0], rel=5e-6)
    a, d = numbers_in(bp4.split("= ", 2)[2])[:2]
    assert a * d == pytest.approx(t.nabla_w[2][1, 0], abs=1e-6)
