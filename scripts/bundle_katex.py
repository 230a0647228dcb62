"""Bundle KaTeX's npm release into the package's static files (run once; needs npm).

    python scripts/bundle_katex.py [version]

Fetches ``katex@VERSION`` with ``npm pack`` (the registry's tarball, checked by npm against its
integrity hash), and writes into ``explorer/widgets/drawing/katex/``:

- ``katex.min.js``: the release's minified script, unchanged;
- ``katex.css``: the release's ``katex.min.css`` with every font inlined as a WOFF2 data URL
  (the other formats dropped: every browser that runs JupyterLab reads WOFF2), so that the page
  never asks anything for a font;
- ``LICENSE`` (KaTeX's MIT licence) and ``VERSION``.

The files are committed: installing the package or opening a page needs neither npm nor a
network. The browser loads them once per page (``explorer.widgets.drawing.katex_assets``).
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "0.19.1"
OUT = Path(__file__).resolve().parent.parent / "explorer" / "widgets" / "drawing" / "katex"


def inline_fonts(css: str, fonts: Path) -> str:
    """Replace each @font-face ``src`` list by its WOFF2 file as a data URL."""

    def one(match: re.Match) -> str:
        woff2 = re.search(r"url\((fonts/[^)]+\.woff2)\)", match.group(0))
        if woff2 is None:
            raise SystemExit(f"no woff2 font in: {match.group(0)[:120]}")
        data = base64.b64encode((fonts.parent / woff2.group(1)).read_bytes()).decode("ascii")
        return f'src:url(data:font/woff2;base64,{data}) format("woff2")'

    out, n = re.subn(r"src:[^;}]+", one, css)
    if n == 0:
        raise SystemExit("no @font-face src found in katex.min.css")
    return out


def npm_package(name: str, version: str, folder: str) -> Path:
    """``npm pack name@version`` unpacked into ``folder``: the release's ``package`` directory."""
    subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=folder, check=True, capture_output=True)
    (tarball,) = Path(folder).glob(f"{name}-*.tgz")
    with tarfile.open(tarball) as tar:
        tar.extractall(folder, filter="data")
    return Path(folder) / "package"


def main(version: str = VERSION) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = npm_package("katex", version, tmp)
        dist = package / "dist"
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "katex.min.js").write_bytes((dist / "katex.min.js").read_bytes())
        css = inline_fonts((dist / "katex.min.css").read_text(encoding="utf-8"), dist / "fonts")
        (OUT / "katex.css").write_text(css, encoding="utf-8")
        (OUT / "LICENSE").write_bytes((package / "LICENSE").read_bytes())
        (OUT / "VERSION").write_text(version + "\n", encoding="utf-8")
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1024:.0f} KiB" for p in sorted(OUT.iterdir()))
    print(f"KaTeX {version} -> {OUT.relative_to(OUT.parents[3])}: {sizes}")


if __name__ == "__main__":
    main(*sys.argv[1:])
