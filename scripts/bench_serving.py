"""How fast a student's page is live from `python -m explorer classroom`, pool warm and cold.

Starts the class's server twice on a free localhost port: with a pool of started kernels
(--pool-size 2) and without (--pool-size 0). Each time it opens the page several times in turn,
as a student's browser would over HTTP and the kernel's websocket (v1), and times from the
request to the moment the page's widgets' state has arrived (the page is live). With the pool,
each page waits first until the pool is full again and its kernels idle (a class arriving
one by one). It prints the
median and the worst, and the resident memory (RSS) of each kernel serving a page.

Run: .venv/bin/python scripts/bench_serving.py [--pages 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import psutil

from explorer.widgets.apps.page_client import KernelChannels, kernel_id_of, open_page
from explorer.classroom_load import free_port  # the one free loopback port helper

KERNEL_FILE = re.compile(r"kernel-([0-9a-f-]{36})\.json")


def kernels(pid: int) -> dict[str, psutil.Process]:
    found = {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            m = KERNEL_FILE.search(" ".join(child.cmdline()))
        except psutil.Error:
            continue
        if m:
            found[m.group(1)] = child
    return found


def wait(condition, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not get ready in time")
        time.sleep(0.2)


def answering(base: str) -> bool:
    try:
        urllib.request.urlopen(f"{base}/voila/static/none", timeout=2)
    except urllib.error.HTTPError as error:
        error.close()
        return True
    except OSError:
        return False
    return True


def idle(processes, seconds: float = 0.5) -> bool:
    """Whether these processes used (almost) no CPU for a moment: a pool kernel that has run the
    notebook up to the page's address waits there."""
    def used():
        return sum(p.cpu_times().user + p.cpu_times().system for p in processes)

    try:
        before = used()
        time.sleep(seconds)
        return used() - before < 0.05
    except psutil.Error:
        return False


async def live(base: str, kernel: str) -> None:
    channels = await KernelChannels.connect(base, kernel)
    try:
        await channels.widget_states()
    finally:
        await channels.aclose()


def measure(pool: int, pages: int) -> tuple[list[float], list[float]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        log = open(os.path.join(tmp, "server.log"), "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "explorer", "classroom", f"--port={port}", f"--pool-size={pool}",
             f"--max-students={pages + 1}", "--min-free-mib=0"],
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp,
        )
        try:
            wait(lambda: answering(base))
            seconds, rss = [], []
            for n in range(pages):
                wait(lambda: len(kernels(server.pid)) >= n + pool)  # the pool is full again
                wait(lambda: idle(kernels(server.pid).values()))  # and has run up to the address
                start = time.perf_counter()
                status, body = open_page(f"{base}/?scenario=healthy", timeout=120)
                if status != 200:
                    raise RuntimeError(f"page answered {status}")
                kernel = kernel_id_of(body)
                asyncio.run(asyncio.wait_for(live(base, kernel), 120))
                seconds.append(time.perf_counter() - start)
                rss.append(kernels(server.pid)[kernel].memory_info().rss / 2**20)
            return seconds, rss
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; {args.pages} pages each, one at a time")
    for label, pool in (("pool warm (--pool-size 2)", 2), ("no pool (--pool-size 0)", 0)):
        seconds, rss = measure(pool, args.pages)
        print(
            f"{label}: page live in {statistics.median(seconds):.2f} s median, {max(seconds):.2f} s worst; "
            f"kernel RSS {statistics.median(rss):.0f} MiB median, {max(rss):.0f} MiB max",
            flush=True,
        )


if __name__ == "__main__":
    main()
