"""Datasets for the explorer: 10,000 real MNIST digits shipped with the repo, and small 2-D toy sets.

Everything here is plain numpy.  Examples are columns, as in Nielsen's book: a digit is a
(784, 1) column of pixel intensities in [0, 1], a batch of n digits is a (784, n) matrix, and
targets are one-hot columns.  The digits come from ``assets/mnist-digits.npz`` (see
``assets/MNIST-SOURCE.md``); the first 8,000 rows are the training digits and the last 2,000
the test digits, so the two never overlap. The package finds the file as the resource
``mnist-digits.npz`` of ``explorer.assets`` (pyproject.toml maps ``assets/`` onto that
sub-package), so a wheel installed anywhere and the editable install of a checkout both read it.
"""

from __future__ import annotations

import functools
import operator
from importlib import resources

import numpy as np

__all__ = [
    "MNIST_PATH",
    "MNIST_RESOURCE",
    "N_DIGITS",
    "N_PIXELS",
    "TOY_DATASETS",
    "load_mnist",
    "load_mnist_raw",
    "one_hot",
    "toy_dataset",
]

MNIST_RESOURCE = ("explorer.assets", "mnist-digits.npz")


def _mnist_resource():
    """The digits file as an importlib.resources Traversable, or None when explorer.assets is absent.

    explorer.assets exists once the package is installed (a wheel, or ``pip install -e .`` as
    ``make`` does); a checkout merely put on sys.path does not have it.
    """
    package, name = MNIST_RESOURCE
    try:
        return resources.files(package) / name
    except ModuleNotFoundError:
        return None


MNIST_PATH = _mnist_resource()
N_DIGITS = 10_000
N_PIXELS = 28 * 28
N_CLASSES = 10
FORMATS = ("book", "arrays")
TOY_DATASETS = ("xor", "circles", "spirals")


def _float_dtype(dtype, argument: str = "dtype") -> np.dtype:
    """Return dtype as a numpy float dtype, or raise a ValueError that says what is allowed."""
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or not np.issubdtype(resolved, np.floating):
        raise ValueError(
            f"{argument} must be a floating-point dtype such as np.float64 or np.float32, got {dtype!r}"
        )
    return resolved


def _count(value, argument: str, minimum: int) -> int:
    """Return value as an int >= minimum, or raise a ValueError naming the argument."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{argument} must be an integer >= {minimum}, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"{argument} must be an integer >= {minimum}, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"{argument} must be an integer >= {minimum}, got {number}")
    return number


@functools.lru_cache(maxsize=1)
def load_mnist_raw() -> tuple[np.ndarray, np.ndarray]:
    """Return all 10,000 digits as stored, read once and kept read-only so nobody can spoil the cache.

    Returns ``(pixels, labels)``: pixels is uint8 of shape (10000, 784), one 28x28 digit per
    row in row-major order with 0 as background; labels is uint8 of shape (10000,).
    """
    if MNIST_PATH is None:
        raise FileNotFoundError(
            "the MNIST digits are read from the package explorer.assets, which is not installed: "
            "install the package (pip install backprop-explorer, or pip install -e . in a "
            "checkout, as make does) rather than putting the checkout on sys.path"
        )
    if not MNIST_PATH.is_file():
        raise FileNotFoundError(
            f"the MNIST asset {MNIST_PATH} is missing; it is committed to the repository "
            "(assets/mnist-digits.npz) and can be rebuilt with scripts/convert_mnist.py, "
            "as assets/MNIST-SOURCE.md explains"
        )
    # open() rather than a path: a Traversable need not be a file on disk (a zipped install).
    with MNIST_PATH.open("rb") as file, np.load(file, allow_pickle=False) as archive:
        pixels = np.array(archive["pixels"], dtype=np.uint8)
        labels = np.array(archive["labels"], dtype=np.uint8)
    if pixels.shape != (N_DIGITS, N_PIXELS) or labels.shape != (N_DIGITS,):
        raise ValueError(
            f"{MNIST_PATH} holds pixels {pixels.shape} and labels {labels.shape}, "
            f"expected ({N_DIGITS}, {N_PIXELS}) and ({N_DIGITS},)"
        )
    pixels.setflags(write=False)
    labels.setflags(write=False)
    return pixels, labels


def one_hot(labels, n_classes: int = 10, dtype=np.float64) -> np.ndarray:
    """Turn integer class labels into one-hot columns of shape (n_classes, n), the targets a network's output is compared with."""
    n_classes = _count(n_classes, "n_classes", 1)
    dtype = _float_dtype(dtype)
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D sequence of class numbers, got shape {labels.shape}")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1} for n_classes={n_classes}, "
            f"got values from {labels.min()} to {labels.max()}"
        )
    encoded = np.zeros((n_classes, labels.size), dtype=dtype)
    encoded[labels.astype(np.intp), np.arange(labels.size)] = 1
    return encoded


def load_mnist(n_train: int = 8000, n_test: int = 2000, format: str = "book", dtype=np.float64):
    """Give training and test digits with pixels scaled to [0, 1], shaped the way the book's code or matrix code wants them.

    Training digits are the first ``n_train`` rows of the asset and test digits the last
    ``n_test``, so the two sets never share a digit.

    ``format="book"`` mirrors ``mnist_loader.load_data_wrapper`` from Nielsen's book: it returns
    ``(training_data, test_data)`` where training_data is a list of ``(x, y)`` with x of shape
    (784, 1) and y a one-hot (10, 1) column, and test_data is a list of ``(x, label)`` with
    label a Python int.

    ``format="arrays"`` returns ``((X, Y), (X_test, labels_test))`` with examples as columns:
    X (784, n_train), Y one-hot (10, n_train), X_test (784, n_test) and labels_test int64 (n_test,).
    """
    n_train = _count(n_train, "n_train", 0)
    n_test = _count(n_test, "n_test", 0)
    if n_train + n_test > N_DIGITS:
        raise ValueError(
            f"n_train + n_test must be at most {N_DIGITS} so the sets do not overlap, "
            f"got n_train={n_train} + n_test={n_test} = {n_train + n_test}"
        )
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))}, got {format!r}")
    dtype = _float_dtype(dtype)

    pixels, labels = load_mnist_raw()
    scale = dtype.type(255)
    train_rows = pixels[:n_train].astype(dtype) / scale
    test_rows = pixels[N_DIGITS - n_test :].astype(dtype) / scale
    train_labels = labels[:n_train].astype(np.int64)
    test_labels = labels[N_DIGITS - n_test :].astype(np.int64)

    if format == "arrays":
        X = np.ascontiguousarray(train_rows.T)
        Y = one_hot(train_labels, N_CLASSES, dtype)
        X_test = np.ascontiguousarray(test_rows.T)
        return (X, Y), (X_test, test_labels)

    targets = one_hot(train_labels, N_CLASSES, dtype)
    training_data = [
        (train_rows[i].reshape(N_PIXELS, 1), targets[:, i : i + 1].copy()) for i in range(n_train)
    ]
    test_data = [(test_rows[i].reshape(N_PIXELS, 1), int(test_labels[i])) for i in range(n_test)]
    return training_data, test_data


def toy_dataset(name: str, n: int = 200, noise: float = 0.1, seed=0, dtype=np.float64):
    """Make a small 2-D two-class problem that a tiny network can learn and a plot can show.

    Returns ``(X, Y)`` with X of shape (2, n) (columns are points, coordinates roughly in
    [-1, 1]) and Y one-hot of shape (2, n); the labels are ``Y.argmax(axis=0)``.  Points are in
    a shuffled order, fixed by ``seed``; ``noise`` is the standard deviation of Gaussian jitter
    added to the coordinates after the labels are decided.

    * ``"xor"``: points away from the axes; class 1 where the two coordinates have different signs.
    * ``"circles"``: class 0 fills a disc of radius 0.4, class 1 a ring between radii 0.7 and 1.
    * ``"spirals"``: two interleaved spirals of one turn each, one per class, half a turn apart
      (noise much above 0.1 starts to blur the arms into each other).
    """
    if name not in TOY_DATASETS:
        raise ValueError(f"name must be one of {', '.join(map(repr, TOY_DATASETS))}, got {name!r}")
    n = _count(n, "n", 1)
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise ValueError(f"noise must be a number >= 0, got {noise!r}") from None
    if not noise >= 0 or not np.isfinite(noise):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    dtype = _float_dtype(dtype)
    rng = np.random.default_rng(seed)

    if name == "xor":
        magnitude = rng.uniform(0.15, 0.95, size=(2, n))
        signs = rng.choice(np.array([-1.0, 1.0]), size=(2, n))
        points = magnitude * signs
        labels = (signs[0] != signs[1]).astype(np.int64)
    elif name == "circles":
        labels = np.zeros(n, dtype=np.int64)
        labels[n // 2 :] = 1
        # Uniform over area: radius = sqrt of a uniform draw between the squared radii.
        inner = np.sqrt(rng.uniform(0.0, 0.4**2, size=n))
        outer = np.sqrt(rng.uniform(0.7**2, 1.0**2, size=n))
        radius = np.where(labels == 0, inner, outer)
        angle = rng.uniform(0.0, 2 * np.pi, size=n)
        points = np.stack([radius * np.cos(angle), radius * np.sin(angle)])
    else:  # spirals
        labels = np.zeros(n, dtype=np.int64)
        labels[n // 2 :] = 1
        # sqrt spreads points evenly along the arms instead of crowding the centre.
        t = np.sqrt(rng.uniform(0.0, 1.0, size=n))
        radius = 0.05 + 0.9 * t
        angle = 2 * np.pi * t + np.pi * labels
        points = np.stack([radius * np.cos(angle), radius * np.sin(angle)])

    order = rng.permutation(n)
    points, labels = points[:, order], labels[order]
    if noise > 0:
        points = points + rng.normal(0.0, noise, size=points.shape)
    return points.astype(dtype), one_hot(labels, 2, dtype)
