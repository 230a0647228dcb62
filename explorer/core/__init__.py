"""The numpy core: chapter 2's backpropagation, traced. No widget or plotting imports here."""

from .activations import Activation, get_activation
from .costs import Cost, CrossEntropyCost, QuadraticCost, get_cost
from .data import load_mnist, load_mnist_raw, one_hot, toy_dataset
from .gradient_check import FiniteDifferenceGradient, FiniteDifferenceRun, finite_difference_gradient
from .matrix_form import delta_via_sigma_prime, sigma_prime_matrix
from .network import Network
from .paths import Path, PathSum, count_paths, path_sum, path_sum_weighted_inputs
from .trace import DemonEffect, Trace, WeightNudge
# Training and its timing (SGD as a steppable run; forward pass against backprop).
from .sgd import DIVERGED_MESSAGE, BatchProgress, EpochResult, SGDRun
from .speed import PassTimes, time_passes

__all__ = [
    "BatchProgress",
    "DIVERGED_MESSAGE",
    "EpochResult",
    "PassTimes",
    "SGDRun",
    "time_passes",
    "Activation",
    "Cost",
    "CrossEntropyCost",
    "DemonEffect",
    "FiniteDifferenceGradient",
    "FiniteDifferenceRun",
    "Network",
    "Path",
    "PathSum",
    "QuadraticCost",
    "Trace",
    "WeightNudge",
    "count_paths",
    "delta_via_sigma_prime",
    "finite_difference_gradient",
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
