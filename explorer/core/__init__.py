"""The numpy core: chapter 2's backpropagation, traced. No widget or plotting imports here.

One module per idea of the chapter: network (eq. 25, BP1–BP4), trace, activations, costs,
finite_differences (eq. 46), matrix_form (Σ'(z), eq. 33–35), paths (eq. 53), saturation
(BP1, BP2, BP4 read as "learns slowly"), algorithm (its steps as data), sgd (a steppable run),
speed (a forward pass against backprop), data.
"""

from .activations import Activation, get_activation
from .algorithm import MiniBatch, Step, algorithm_steps, example_steps, matrix_steps
from .costs import Cost, CrossEntropyCost, QuadraticCost, get_cost
from .data import load_mnist, load_mnist_raw, one_hot, toy_dataset
from .finite_differences import (
    FiniteDifferenceGradient,
    FiniteDifferenceRun,
    delta_by_nudging,
    finite_difference_gradient,
    partial_derivative,
)
from .matrix_form import delta_via_sigma_prime, sigma_prime_matrix
from .network import Network
from .paths import Path, PathSum, count_paths, path_sum, path_sum_weighted_inputs
from .saturation import (
    LayerSaturation,
    NeuronSaturation,
    WeightVerdict,
    layer_saturation,
    max_sigma_prime,
    neuron_saturation,
    saturation_mask,
    slow_learning_verdicts,
)
from .sgd import DIVERGED_MESSAGE, BatchProgress, EpochResult, SGDRun
from .speed import PassTimes, time_passes
from .trace import DemonEffect, Trace, WeightNudge

__all__ = [
    # the network, its pass and the demon
    "Network",
    "Trace",
    "DemonEffect",
    "WeightNudge",
    # activations and costs
    "Activation",
    "get_activation",
    "Cost",
    "CrossEntropyCost",
    "QuadraticCost",
    "get_cost",
    # finite differences (eq. 46)
    "FiniteDifferenceGradient",
    "FiniteDifferenceRun",
    "delta_by_nudging",
    "finite_difference_gradient",
    "partial_derivative",
    # the Σ'(z) matrix form (eq. 33–35) and the sum over paths (eq. 53)
    "delta_via_sigma_prime",
    "sigma_prime_matrix",
    "Path",
    "PathSum",
    "count_paths",
    "path_sum",
    "path_sum_weighted_inputs",
    # saturation and "learns slowly" (BP1, BP2, BP4)
    "LayerSaturation",
    "NeuronSaturation",
    "WeightVerdict",
    "layer_saturation",
    "max_sigma_prime",
    "neuron_saturation",
    "saturation_mask",
    "slow_learning_verdicts",
    # the algorithm's steps as data
    "MiniBatch",
    "Step",
    "algorithm_steps",
    "example_steps",
    "matrix_steps",
    # learning: SGD as a steppable run, and timing
    "BatchProgress",
    "DIVERGED_MESSAGE",
    "EpochResult",
    "SGDRun",
    "PassTimes",
    "time_passes",
    # data
    "load_mnist",
    "load_mnist_raw",
    "one_hot",
    "toy_dataset",
]
