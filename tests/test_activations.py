"""Activations: values against the textbook formulas, derivatives against finite differences,
and robustness for any float input (pytest turns every warning into an error)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer import Activation, get_activation
from explorer.core.activations import BUILTIN

EXTREMES = np.array([-1e308, -1e300, -745.0, -710.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 710.0, 1e300, 1e308])


def reference(name, z):
    """The textbook formula with Python's math module, for moderate z."""
    if name == "sigmoid":
        return 1 / (1 + math.exp(-z))
    if name == "tanh":
        return math.tanh(z)
    if name == "relu":
        return max(z, 0.0)
    if name == "leaky_relu":
        return z if z > 0 else 0.01 * z
    if name == "softplus":
        return math.log1p(math.exp(z))
    if name == "linear":
        return z
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_values_match_the_formulas(name):
    act = get_activation(name)
    zs = np.linspace(-30, 30, 121)
    expected = np.array([reference(name, float(z)) for z in zs])
    np.testing.assert_allclose(act(zs), expected, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_derivative_matches_finite_differences(name):
    act = get_activation(name)
    zs = np.linspace(-8, 8, 97) + 0.013  # keeps clear of relu's kink at 0
    h = 1e-6
    numeric = (act(zs + h) - act(zs - h)) / (2 * h)
    np.testing.assert_allclose(act.prime(zs), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_extreme_inputs_give_no_warning_and_finite_results(name):
    act = get_activation(name)
    a, sp = act(EXTREMES), act.prime(EXTREMES)
    assert np.isfinite(a).all() and np.isfinite(sp).all()
    assert (sp >= 0).all()
    if name == "sigmoid":
        assert a[0] == 0.0 and a[-1] == 1.0
        assert ((0 <= a) & (a <= 1)).all()
    if name == "tanh":
        assert a[0] == -1.0 and a[-1] == 1.0


def test_sigmoid_prime_keeps_precision_deep_in_saturation():
    # σ'(z) = e^-z/(1+e^-z)^2 ≈ e^-|z| for large |z|, on both sides.
    for z in (40.0, -40.0, 300.0, -300.0):
        assert get_activation("sigmoid").prime(np.array([z]))[0] == pytest.approx(math.exp(-abs(z)), rel=1e-12)


def test_tanh_prime_keeps_precision_deep_in_saturation():
    for z in (20.0, -25.0, 200.0):
        assert get_activation("tanh").prime(np.array([z]))[0] == pytest.approx(4 * math.exp(-2 * abs(z)), rel=1e-12)


def test_softplus_prime_never_vanishes_where_sigmoid_prime_does_not_underflow():
    # The chapter's exercise: a σ whose derivative is always positive (softplus' σ' = sigmoid).
    zs = np.linspace(-700, 700, 1001)
    assert (get_activation("softplus").prime(zs) > 0).all()


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_any_finite_float_is_safe(values):
    z = np.array(values)
    for act in BUILTIN.values():
        a, sp = act(z), act.prime(z)
        assert a.shape == z.shape and sp.shape == z.shape
        assert not np.isnan(a).any() and not np.isnan(sp).any()


def test_float32_stays_float32():
    z = np.linspace(-100, 100, 11, dtype=np.float32)
    for act in BUILTIN.values():
        assert act(z).dtype == np.float32, act.name
        assert act.prime(z).dtype == np.float32, act.name


def test_sigmoid_in_place_form_equals_plain_form():
    z = np.linspace(-800, 800, 333)
    out = np.empty_like(z)
    np.testing.assert_array_equal(get_activation("sigmoid").into(z, out), get_activation("sigmoid")(z))


def test_user_made_activation_and_bad_names():
    cube = Activation("cube", lambda z: z**3, lambda z: 3 * z**2)
    assert cube(np.array([2.0]))[0] == 8.0 and cube.prime(np.array([2.0]))[0] == 12.0
    with pytest.raises(KeyError, match="unknown name 'sigmod'.*sigmoid"):
        get_activation("sigmod")
    with pytest.raises(ValueError, match="expected a name or an Activation"):
        get_activation(3)
    with pytest.raises(ValueError, match="callable"):
        Activation("bad", 1, 2)
