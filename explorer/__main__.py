"""Command line: ``python -m explorer bench``, ``train``, ``classroom`` and ``classroom-load`` (and the other benchmarks)."""

from __future__ import annotations

import argparse
import os
import sys

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _single_threaded_blas(argv: list[str]) -> None:
    """Re-run this command with one BLAS thread unless the user chose a number.

    The matrices of a [784, 30, 10] mini-batch are small; on a two-core machine OpenBLAS'
    threads mostly wait for each other (measured: 10× slower when the other core is busy), and
    they make timings noisy. The variables must be set before numpy loads, hence the re-run.
    """
    if any(v in os.environ for v in BLAS_THREAD_VARIABLES):
        return
    env = dict(os.environ, **{v: "1" for v in BLAS_THREAD_VARIABLES})
    os.execve(sys.executable, [sys.executable, "-m", "explorer", *argv], env)


def _train(args) -> int:
    from .core import Network, load_mnist
    from .progress import ProgressBar

    training, test = load_mnist(n_train=args.n_train, n_test=args.n_test, format="arrays")
    sizes = [784, *args.hidden, 10]
    net = Network(sizes, activation=args.activation, cost=args.cost, seed=args.seed)
    n_batches = -(-args.n_train // args.batch)
    print(
        f"Training {sizes}, {args.activation}, {args.cost} cost, mini-batch {args.batch}, "
        f"η = {args.eta}, seed {args.seed}, on {args.n_train:,} digits; testing on {args.n_test:,}",
        flush=True,
    )
    bar = ProgressBar(n_batches)

    def on_batch(progress):
        bar.label = f"epoch {progress.epoch + 1}/{args.epochs}"
        bar.update(progress.batch + 1)

    def on_epoch(result):
        bar.close()
        print(
            f"Epoch {result.epoch}: {result.correct} / {result.total} "
            f"({100 * result.accuracy:.2f}%)  {result.seconds:.2f} s",
            flush=True,
        )
        bar.__init__(n_batches)

    history = net.SGD(
        training, args.epochs, args.batch, args.eta, test_data=test, on_batch=on_batch, on_epoch=on_epoch
    )
    if history:
        best = max(history, key=lambda r: r.correct)
        print(
            f"Final test accuracy {100 * history[-1].accuracy:.2f}% "
            f"(best {100 * best.accuracy:.2f}% after epoch {best.epoch})"
        )
    return 0


def _bench(args) -> int:
    from .bench import run

    print(run(repeats=args.repeats))
    return 0


def _bench_explorer(args) -> int:
    from .widgets.bench import run

    print(run(n_events=args.events))
    return 0


def _bench_training(args) -> int:
    from .widgets.bench_training import run

    print(run())
    return 0


# ----------------------------------------------------------------------------- classroom

CLASSROOM_PORT = 8866
CLASSROOM_LAYOUTS = ("presenter", "laptop")  # explorer.widgets.apps.classroom.LAYOUTS (tested)
# Measured on a 2-core, 24 GiB machine: a classroom kernel holds about 120 MiB; 40 leaves room
# for late-comers and reloads in under 5 GiB. (explorer.widgets.apps.serving takes these defaults.)
CLASSROOM_MAX_STUDENTS = 40
CLASSROOM_POOL_SIZE = 4
CLASSROOM_MIN_FREE_MIB = 1024
CLASSROOM_CULL_IDLE_SECONDS = 900
CLASSROOM_CULL_INTERVAL_SECONDS = 60
# A class arrives in a burst: the pool is refilled once no page has been asked for this long.
CLASSROOM_REFILL_AFTER_SECONDS = 5.0
# A full class gives the kernel of a page closed (no websocket, idle) this long to a new page.
CLASSROOM_EVICT_AFTER_SECONDS = 60.0
CLASSROOM_HELP = """Serve the classroom app to a class with Voila: the classroom notebook installed with the
package (explorer/notebooks/classroom.ipynb), shown without its code. Open the printed address in
a browser; each prepared scenario has its own address (?scenario=name) to bookmark. Kernels are
started ahead of the students (a pool), their number is limited (past the limit a visitor sees
"the class is full, try again in a minute"), idle ones are shut down, no traceback reaches a
visitor, and kernel websockets must speak the v1 protocol. Needs the [classroom] extra:
pip install 'backprop-explorer[classroom]'. Ctrl-C stops the server."""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _not_negative_seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value < 86400:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds (less than a day), got {text}")
    return value


def _add_classroom_command(sub) -> None:
    room = sub.add_parser(
        "classroom", help="serve the classroom app with Voila (needs the [classroom] extra)",
        description=CLASSROOM_HELP,
    )
    room.add_argument("--port", type=int, default=CLASSROOM_PORT, help=f"port (default {CLASSROOM_PORT})")
    room.add_argument(
        "--ip", default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for the room's network)",
    )
    room.add_argument(
        "--layout", choices=CLASSROOM_LAYOUTS, default=CLASSROOM_LAYOUTS[0],
        help="the page of an address that names none: 'presenter' (one projector screen, Δz and "
        "the keys) or 'laptop' (every panel and the weight sliders, for students on their own "
        "machines); ?layout= in an address still chooses; the pool's kernels build this one ahead "
        f"(default {CLASSROOM_LAYOUTS[0]})",
    )
    room.add_argument(
        "--max-students", type=_positive, default=CLASSROOM_MAX_STUDENTS,
        help=f"pages served at once, one kernel (about 120 MiB) each; past it a visitor sees "
        f"'the class is full, try again in a minute' (HTTP 503) (default {CLASSROOM_MAX_STUDENTS})",
    )
    room.add_argument(
        "--pool-size", type=_not_negative, default=CLASSROOM_POOL_SIZE,
        help="kernels started ahead of the students, so a page is live at once; 0 starts each "
        f"student's kernel when the page is asked for (default {CLASSROOM_POOL_SIZE})",
    )
    room.add_argument(
        "--min-free-mib", type=_not_negative, default=CLASSROOM_MIN_FREE_MIB,
        help="memory (MiB) kept free: below it no new page is served, so the machine never swaps "
        f"(default {CLASSROOM_MIN_FREE_MIB})",
    )
    room.add_argument(
        "--cull-idle", type=_not_negative, default=CLASSROOM_CULL_IDLE_SECONDS, metavar="SECONDS",
        help="shut down a kernel whose page was closed and that has been idle this long; 0 never "
        f"(default {CLASSROOM_CULL_IDLE_SECONDS})",
    )
    room.add_argument(
        "--cull-interval", type=_positive, default=CLASSROOM_CULL_INTERVAL_SECONDS, metavar="SECONDS",
        help=f"how often idle kernels are looked for (default {CLASSROOM_CULL_INTERVAL_SECONDS})",
    )
    room.add_argument(
        "--refill-after", type=_not_negative_seconds, default=CLASSROOM_REFILL_AFTER_SECONDS, metavar="SECONDS",
        help="refill the pool once no page has been asked for this long, one kernel at a time and "
        "never past the places left, so that starting kernels do not slow a class arriving "
        f"together (default {CLASSROOM_REFILL_AFTER_SECONDS:g})",
    )
    room.add_argument(
        "--evict-after", type=_not_negative_seconds, default=CLASSROOM_EVICT_AFTER_SECONDS, metavar="SECONDS",
        help="when the class is full, shut down the kernel of a page closed (no websocket, idle) at "
        "least this long ago, so that a reload does not keep a place; 0 never "
        f"(default {CLASSROOM_EVICT_AFTER_SECONDS:g})",
    )
    room.add_argument("--open-browser", action="store_true", help="open the page in a browser too")
    room.add_argument(
        "voila_args", nargs="*", metavar="VOILA_OPTION",
        help="further options passed to voila after --, e.g. -- --theme=dark",
    )
    room.set_defaults(run=_classroom)


def _port_taken(ip: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind((ip, port))
        except OSError:
            return True
    return False


def _classroom(args) -> int:
    import importlib.util
    from importlib import resources

    if importlib.util.find_spec("voila") is None:
        print(
            "python -m explorer classroom serves the app with Voila, which is not installed in "
            f"this environment ({sys.executable}): install the classroom extra, "
            "pip install 'backprop-explorer[classroom]' (in a checkout: pip install -e '.[classroom]', "
            "or make classroom)",
            file=sys.stderr,
        )
        return 2
    if not 0 < args.port < 65536:
        print(f"--port must be between 1 and 65535, got {args.port}", file=sys.stderr)
        return 2
    if _port_taken(args.ip, args.port):
        print(
            f"Port {args.port} on {args.ip} is already in use (another server?): choose another with --port",
            file=sys.stderr,
        )
        return 2
    from .scenarios import prepared_scenarios
    from .widgets.apps.classroom import LAYOUT_VARIABLE, voila_options
    from .widgets.apps.serving import serve, voila_arguments

    host = "localhost" if args.ip in ("127.0.0.1", "localhost") else args.ip
    if host in ("0.0.0.0", "::"):
        import socket

        host = socket.gethostname()
    other = next(name for name in CLASSROOM_LAYOUTS if name != args.layout)
    print(
        f"Classroom app: open http://{host}:{args.port}/ (Ctrl-C stops it); students get the "
        f"{args.layout} page, ?layout={other} the other. Scenarios by address:"
    )
    for name in prepared_scenarios():
        print(f"  http://{host}:{args.port}/?scenario={name}")
    culling = f"closed pages' kernels shut down after {args.cull_idle} s idle" if args.cull_idle else "idle kernels kept"
    print(
        f"Up to {args.max_students} students at once ({args.pool_size} kernels started ahead, "
        f"{args.min_free_mib} MiB kept free); {culling}."
    )
    sys.stdout.flush()
    notebook = resources.files("explorer.notebooks") / "classroom.ipynb"
    # An installed package's notebook is a file on disk; as_file copies it out of a zip if not.
    path = resources.as_file(notebook).__enter__()
    options, env = voila_options()  # our template: no request leaves the server
    env[LAYOUT_VARIABLE] = args.layout  # the kernels inherit the server's environment
    arguments = voila_arguments(
        str(path), port=args.port, ip=args.ip, max_students=args.max_students, pool_size=args.pool_size,
        min_free_mib=args.min_free_mib, cull_idle_seconds=args.cull_idle,
        cull_interval_seconds=args.cull_interval, refill_after_seconds=args.refill_after,
        evict_after_seconds=args.evict_after,
        open_browser=args.open_browser,
        extra=[*options, *args.voila_args],
    )
    serve(arguments, env, args.ip)
    return 0


# ----------------------------------------------------------------------------- classroom-load

LOAD_HELP = """Drive a classroom server as a class of students would: each opens the page, connects to its
kernel over the page's websocket protocol and drags the selected neuron's weight sliders and the
demon's Δz on the laptop page (--layout presenter: Δz alone on the presenter page) (10 values a second, one update in flight, the latest value wins), and every reply is
checked against the core. Prints, per class size: page to live, kernel time per event, reply
latency, updates a second per student, kernel memory per student, and updates lost or failed.
Without --url it starts python -m explorer classroom on a free port itself, and stops it after.
Only servers on this machine (127.0.0.1, localhost)."""


def _add_load_command(sub) -> None:
    from .classroom_load import DEFAULT_LAYOUT, LAYOUTS, MAX_SECONDS, MAX_STUDENTS

    load = sub.add_parser(
        "classroom-load", help="a load test of the classroom server, speaking the page's protocol",
        description=LOAD_HELP,
    )
    load.add_argument(
        "--students", type=int, nargs="+", default=[1], metavar="N",
        help=f"class sizes, one run each (default 1; at most {MAX_STUDENTS})",
    )
    load.add_argument(
        "--seconds", type=float, default=10.0,
        help=f"seconds of dragging per class size (default 10; at most {MAX_SECONDS:.0f})",
    )
    load.add_argument("--url", help="a running classroom server, e.g. http://127.0.0.1:8866 (default: start one)")
    load.add_argument("--seed", type=int, default=0, help="seed of the students' random values (default 0)")
    load.add_argument(
        "--layout", choices=LAYOUTS, default=DEFAULT_LAYOUT,
        help="the page the students open: laptop (default; weight sliders and Δz, the heavier page) "
        "or presenter (the classroom's default page; Δz only)",
    )
    load.set_defaults(run=_classroom_load)


def _classroom_load(args) -> int:
    import importlib.util

    from .classroom_load import LoadError, run

    if importlib.util.find_spec("tornado") is None or importlib.util.find_spec("voila") is None:
        print(
            "python -m explorer classroom-load needs the [classroom] extra: "
            "pip install 'backprop-explorer[classroom]'",
            file=sys.stderr,
        )
        return 2
    try:
        results = run(args.students, args.seconds, url=args.url, seed=args.seed, layout=args.layout)
    except LoadError as error:
        print(f"classroom-load: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    bad = any(r.lost or r.failed or r.tracebacks or r.not_live for r in results)
    return 1 if bad else 0


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m explorer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser(
        "bench",
        help="time an epoch of the project's training against the plain loop, plain numpy and "
        "torch (if installed); finite differences against backprop",
    )
    bench.add_argument("--repeats", type=int, default=5, help="interleaved repetitions (default 5)")
    bench.set_defaults(run=_bench)

    bench_ex = sub.add_parser("bench-explorer", help="time the dashboard's response to slider events")
    bench_ex.add_argument("--events", type=int, default=200, help="slider events per network")
    bench_ex.set_defaults(run=_bench_explorer)

    bench_tr = sub.add_parser("bench-training", help="the live training panel's epoch against SGD's")
    bench_tr.set_defaults(run=_bench_training)

    train = sub.add_parser("train", help="train on the shipped MNIST digits, as in the book")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--batch", type=int, default=10, help="mini-batch size (default 10)")
    train.add_argument("--eta", type=float, default=3.0, help="learning rate η (default 3.0)")
    train.add_argument("--hidden", type=int, nargs="*", default=[30], help="hidden layer sizes")
    train.add_argument("--activation", default="sigmoid")
    train.add_argument("--cost", default="quadratic")
    train.add_argument("--seed", type=int, default=9)
    train.add_argument("--n-train", type=int, default=8000)
    train.add_argument("--n-test", type=int, default=2000)
    train.set_defaults(run=_train)

    _add_classroom_command(sub)
    _add_load_command(sub)

    args = parser.parse_args(argv)
    _single_threaded_blas(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
