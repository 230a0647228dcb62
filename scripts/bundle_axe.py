"""Bundle axe-core's npm release for the browser tests' accessibility checks (run once; needs npm).

    python scripts/bundle_axe.py [version]

Fetches ``axe-core@VERSION`` with ``npm pack`` (the registry's tarball, checked by npm against
its integrity hash) and writes into ``tests/browser/axe/``: ``axe.min.js`` unchanged, its
``LICENSE`` (MPL-2.0) and ``VERSION``. The files are committed: the tests inject the script into
the page under test, so running them needs neither npm nor a network. It is a test tool only:
the package does not ship it.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "4.14.1"
OUT = Path(__file__).resolve().parent.parent / "tests" / "browser" / "axe"


def main(version: str = VERSION) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"axe-core@{version}", "--silent"], cwd=tmp, check=True, capture_output=True)
        (tarball,) = Path(tmp).glob("axe-core-*.tgz")
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "axe.min.js").write_bytes((package / "axe.min.js").read_bytes())
        (OUT / "LICENSE").write_bytes((package / "LICENSE").read_bytes())
        (OUT / "VERSION").write_text(version + "\n", encoding="utf-8")
    print(f"axe-core {version} written to {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
