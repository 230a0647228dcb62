"""Command line: ``python -m explorer bench`` and ``python -m explorer train``."""

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

    args = parser.parse_args(argv)
    _single_threaded_blas(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
