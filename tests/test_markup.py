"""The one number format: what people read, checked by hand."""

import math

import pytest

from explorer.widgets.markup import exact, formula_number, html_name, num_span, number, plain_name, vector_span


@pytest.mark.parametrize(
    "value, digits, signed, shown",
    [(0.123456, 4, False, "0.1235"), (-0.05, 4, False, "−0.05"), (2.5e-05, 3, False, "2.5×10⁻⁵"),
     (0.25, 4, True, "+0.25"), (-0.0, 4, True, "0"), (0.0, 4, False, "0"), (math.inf, 4, False, "—"),
     (math.nan, 4, True, "—"),
     # the threshold: 0.001 is the smallest magnitude written with a point; no "5e−4" next to "0.0005"
     (0.001, 4, False, "0.001"), (0.0005, 4, False, "5×10⁻⁴"), (-0.0005, 4, True, "−5×10⁻⁴"),
     (0.00099996, 4, False, "0.001"),  # rounds up to 1.000×10⁻³, so it is written plainly
     (0.00012346, 4, False, "1.235×10⁻⁴"), (3e-7, 4, True, "+3×10⁻⁷"),
     # large: as many digits before the point as the figures shown, then a power of ten
     (1234.4, 4, False, "1234"), (9999.6, 4, False, "1×10⁴"), (12345, 4, False, "1.234×10⁴"),
     (-250000, 4, False, "−2.5×10⁵"), (1.5e12, 3, False, "1.5×10¹²"),
     (2.0, 4, False, "2"), (0.1 + 0.2, 4, False, "0.3"), (-1 / 3, 3, False, "−0.333")],
)
def test_number(value, digits, signed, shown):
    assert number(value, digits, signed) == shown


@pytest.mark.parametrize(
    "value, paren, shown",
    [(0.12344, False, "0.1234"), (-0.05, True, "(−0.05)"), (-0.05, False, "−0.05"), (1.2e-05, False, "1.2×10⁻⁵"),
     (-3.5e12, True, "(−3.5×10¹²)"), (4.0, True, "4"), (math.nan, True, "—"), (0.0005, False, "5×10⁻⁴"),
     (-0.0005, True, "(−5×10⁻⁴)"), (0.002, True, "0.002")],
)
def test_formula_number_matches_the_digits_of_tex(value, paren, shown):
    assert formula_number(value, 4, paren) == shown


def test_spans_keep_the_exact_value_for_tests_and_show_the_rounded_one():
    assert num_span("BP1", -0.123456789, 4) == '<span class="num" data-q="BP1" data-value="-0.123456789">−0.1235</span>'
    assert exact(math.inf) == "" and exact(0.1) == "0.1"
    span = vector_span("d", [0.5, -1.0, 2.0, 3.0], limit=2)
    assert 'data-values="0.5,-1.0,2.0,3.0"' in span and ">[0.5, −1, …]<" in span


def test_names_in_the_books_notation():
    assert html_name("w^3_24") == "w<sup>3</sup><sub>24</sub>"
    assert plain_name("w^3_24") == "w³₂₄" and plain_name("b^2_1") == "b²₁" and plain_name("x^_2") == "x₂"
    assert plain_name("w^3_1,12") == "w³₁,₁₂"  # two-digit indices keep the book's comma
