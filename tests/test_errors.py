"""Bad input gets a clear message naming the argument, never a silent broadcast or a NaN."""

import numpy as np
import pytest

from explorer import Network, finite_difference_gradient, path_sum


@pytest.fixture
def net():
    return Network([2, 3, 2], seed=0)


def test_wrong_shapes_are_refused(net):
    with pytest.raises(ValueError, match=r"x: expected shape \(2,\) or \(2, m\).*got shape \(3,\)"):
        net.trace([1, 2, 3], [1, 0])
    with pytest.raises(ValueError, match=r"x: expected shape .*got shape \(1, 2\)"):
        net.trace([[1, 2]], [1, 0])  # a row is not silently taken as a column
    with pytest.raises(ValueError, match=r"x and y: x has 3 example\(s\) \(columns\) but y has 1"):
        net.trace(np.zeros((2, 3)), [1, 0])
    with pytest.raises(ValueError, match="the batch is empty"):
        net.trace(np.zeros((2, 0)), np.zeros((2, 0)))
    with pytest.raises(ValueError, match="expected an array of numbers"):
        net.trace(["a", "b"], [1, 0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_numbers_are_refused(net, bad):
    with pytest.raises(ValueError, match=r"x contains NaN or infinite values \(first at index \[1, 0\]"):
        net.trace([0.0, bad], [1, 0])
    with pytest.raises(ValueError, match="y contains NaN or infinite"):
        net.trace([0.0, 1.0], [bad, 0])
    with pytest.raises(ValueError, match="dz: expected a finite number"):
        net.demon([0.0, 1.0], [1, 0], 2, 0, bad)
    with pytest.raises(ValueError, match="eta: expected a finite number"):
        net.update_mini_batch([0.0, 1.0], [1, 0], bad)


def test_parameters_are_checked(net):
    with pytest.raises(ValueError, match=r"weights\[2\]: expected shape \(3, 2\), got \(2, 3\)"):
        net.weights[2] = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"biases\[3\] contains NaN"):
        net.biases[3] = [[np.nan], [0.0]]
    with pytest.raises(KeyError, match=r"weights\[1\]: no such layer.*l = 2..3"):
        net.weights[1]
    net.weights[2][0, 0] = np.nan  # assigning into the array is allowed, and caught at use
    with pytest.raises(ValueError, match=r"weights\[2\] contains NaN"):
        net.trace([0.0, 1.0], [1, 0])


def test_huge_weights_overflow_clearly(net):
    net.weights[2][:] = 1e308
    net.weights[2][0, 1] = -1e308
    with pytest.raises(ValueError, match="z\\^2 overflowed"):
        net.trace([1.0, 1.0], [1, 0])


def test_indices_are_checked(net):
    with pytest.raises(IndexError, match=r"layer: l = 1 is out of range.*l = 2..3"):
        net.demon([0, 1], [1, 0], 1, 0, 0.1)
    with pytest.raises(IndexError, match=r"neuron: 3 is out of range; layer 2 has indices 0..2"):
        net.demon([0, 1], [1, 0], 2, 3, 0.1)
    with pytest.raises(IndexError, match=r"k: 2 is out of range"):
        path_sum(net, [0, 1], [1, 0], 2, 0, 2)
    with pytest.raises(ValueError, match="layer: expected an integer"):
        net.demon([0, 1], [1, 0], 2.0, 0, 0.1)


def test_construction_errors():
    with pytest.raises(ValueError, match="at least two layers"):
        Network([3])
    with pytest.raises(ValueError, match=r"one entry per layer l = 2..3 \(2 entries\), got 1"):
        Network([2, 3, 2], activation=["tanh"])
    with pytest.raises(KeyError, match="unknown name 'sigmiod'"):
        Network([2, 3, 2], activation="sigmiod")
    with pytest.raises(ValueError, match="dtype: expected float32 or float64"):
        Network([2, 2], dtype=np.int32)


def test_cross_entropy_domain(net):
    ce = Network([2, 3, 2], activation=["sigmoid", "relu"], cost="cross_entropy", seed=0)
    ce.weights[3][:] = 5.0
    with pytest.raises(ValueError, match="cross-entropy cost needs outputs in \\[0, 1\\].*relu"):
        ce.trace([1.0, 1.0], [1, 0])
    with pytest.raises(ValueError, match="targets in \\[0, 1\\]"):
        Network([2, 2], cost="cross_entropy").trace([0, 0], [2.0, 0])


def test_finite_difference_arguments(net):
    with pytest.raises(ValueError, match="eps: expected a small positive step"):
        finite_difference_gradient(net, [0, 1], [1, 0], eps=0)


def test_integer_label_as_target(net):
    t = net.trace([0.2, 0.4], 1)
    np.testing.assert_array_equal(t.y, [[0.0], [1.0]])
    with pytest.raises(IndexError, match="y: 2 is out of range"):
        net.trace([0.2, 0.4], 2)
