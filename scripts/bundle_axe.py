"""Bundle axe-core's npm release for the browser tests' accessibility checks (run once; needs npm).

    python scripts/bundle_axe.py [version]

Fetches ``axe-core@VERSION`` with ``npm pack`` (the registry's tarball, checked by npm against
its integrity hash) and writes into ``tests/browser/axe/``: ``axe.min.js`` unchanged, its
``LICENSE`` (MPL-2.0) and ``VERSION``. The files are committed: the tests inject the script into
the page under test, so running them needs neither npm nor a network. It is a test tool only:
the package does not ship it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bundle_katex import npm_package  # the same npm pack and unpack (this folder is on sys.path)

VERSION = "4.14.1"
OUT = Path(__file__).resolve().parent.parent / "tests" / "browser" / "axe"


def main(version: str = VERSION) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_package("axe-core", version, tmp)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "axe.min.js").write_bytes((package / "axe.min.js").read_bytes())
        (OUT / "LICENSE").write_bytes((package / "LICENSE").read_bytes())
        (OUT / "VERSION").write_text(version + "\n", encoding="utf-8")
    print(f"axe-core {version} written to {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
