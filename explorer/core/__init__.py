"""The numpy core: chapter 2's backpropagation, traced. No widget or plotting imports here."""

from .activations import Activation, get_activation
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
from .network import BatchProgress, EpochResult, Network
from .paths import Path, PathSum, count_paths, path_sum, path_sum_weighted_inputs
from .trace import DemonEffect, Trace, WeightNudge
# saturation and the algorithm's steps (chapter 2's reading of BP1–BP4)
from .algorithm import MiniBatch, Step, algorithm_steps, example_steps, matrix_steps
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

__all__ = [
    # finite differences (eq. 46)
    "FiniteDifferenceGradient",
    "FiniteDifferenceRun",
    "delta_by_nudging",
    "finite_difference_gradient",
    "partial_derivative",
    # the rest of the core
    # saturation and the algorithm's steps
    "MiniBatch",
    "Step",
    "algorithm_steps",
    "example_steps",
    "matrix_steps",
    "LayerSaturation",
    "NeuronSaturation",
    "WeightVerdict",
    "layer_saturation",
    "max_sigma_prime",
    "neuron_saturation",
    "saturation_mask",
    "slow_learning_verdicts",
    # the rest
    "Activation",
    "BatchProgress",
    "Cost",
    "CrossEntropyCost",
    "DemonEffect",
    "EpochResult",
    "Network",
    "Path",
    "PathSum",
    "QuadraticCost",
    "Trace",
    "WeightNudge",
    "count_paths",
    "delta_via_sigma_prime",
    "get_activation",
    "get_cost",
    "load_mnist",
    "load_mnist_raw",
    "one_hot",
    "path_sum",
    "path_sum_weighted_inputs",
    "sigma_prime_matrix",
    "toy_dataset",
]
