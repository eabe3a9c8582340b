"""Time bnviz.normalize and normalize_backward against a plain copy, naive NumPy and PyTorch.

Run as ``OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_normalize.py`` (``make bench``).
``--quick`` is a seconds-long smoke run on one small shape.

Every scheme is run with its declared default hyper-parameters for the shape's C
(``schemes.default_params``), and PyTorch runs the scheme's own recipe (``describe(...).torch``,
the code the app shows: ``torch.nn.GroupNorm(G, C)(x)``, ``LayerNorm`` on a permuted tensor, …) on
one thread; a scheme without a recipe (Caffe's MVN) has no PyTorch column.  Columns:

- ``fwd``: ``bnviz.normalize``; ``torch``: the recipe's module under ``torch.no_grad()``;
- ``bwd``: ``bnviz.normalize_backward`` (statistics and dx, dγ, dβ from x and dy);
  ``t.bwd``: PyTorch's autograd on the recipe, ``torch.autograd.grad`` of the output for x, γ
  and β given dy, the forward pass done beforehand and not timed;
  ``t.f+b``: the same with its forward pass timed too (what ``bwd`` computes: statistics
  included).

Every column of a row is measured in the same run with interleaved repetitions (each repetition
times every column one after the other), so a noisy machine slows them alike; the table reports
medians in milliseconds of the process's CPU time (``time.process_time``: on a shared machine the
time other jobs hold the core does not count; every column runs on one thread, so on an idle
machine it equals the wall-clock time, ``--clock wall``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# Single-threaded BLAS for a fair comparison with torch.set_num_threads(1): set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bnviz  # noqa: E402
from bnviz.engine.schemes import default_params  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # the torch columns are left blank
    torch = None

FULL_SHAPES = [(32, 64, 56, 56), (256, 512, 7, 7), (8, 3, 224, 224)]
QUICK_SHAPES = [(4, 8, 6, 5)]
EPS = 1e-5


def naive_numpy(x: np.ndarray, lay, eps: float = EPS) -> np.ndarray:
    """The textbook NumPy normalization of the scheme's formula, whole-array, in x's dtype."""
    formula = lay.scheme.formula_for(lay.params)
    view = x.reshape(lay.view_shape)
    axes = lay.reduced_axes
    if formula.centre:
        mean = view.mean(axis=axes, keepdims=True)
        top = view - mean
    else:
        top = view
    if formula.divide == "std":
        top = top / np.sqrt(view.var(axis=axes, keepdims=True) + eps)
    elif formula.divide == "std_plus_eps":
        top = top / (view.std(axis=axes, keepdims=True) + eps)
    elif formula.divide == "rms":
        top = top / np.sqrt(np.square(view).mean(axis=axes, keepdims=True) + eps)
    return top.reshape(x.shape)


def torch_functions(lay, x: np.ndarray, dy: np.ndarray) -> dict:
    """Zero-argument callables running the scheme's PyTorch recipe (none without a recipe).

    ``"torch"`` is the forward pass (no autograd graph); ``"t.f+b"`` the forward pass with a graph
    and the gradients of x, γ and β for ``dy``; ``"t.bwd"`` a (prepare, timed) pair doing only
    the gradients, the forward pass prepared untimed.
    """
    recipe = bnviz.describe(lay.shape, lay.scheme.id, eps=EPS, **lay.params).torch
    if torch is None or recipe is None or recipe.refusal:
        return {}
    module = eval(recipe.module, {"torch": torch})  # noqa: S307 - our own generated code
    forward = eval(  # noqa: S307
        f"lambda x: module({recipe.before}){recipe.after}", {"module": module}
    )
    tensor, gradient = torch.from_numpy(x), torch.from_numpy(dy)
    leaves = list(module.parameters())

    def no_grad():
        with torch.no_grad():
            return forward(tensor)

    def prepare():
        leaf = tensor.clone().requires_grad_(True)
        return leaf, forward(leaf)

    def backward(prepared):
        leaf, y = prepared
        return torch.autograd.grad(y, [leaf, *leaves], gradient)

    return {
        "torch": no_grad,
        "t.bwd": (prepare, backward),
        "t.f+b": lambda: backward(prepare()),
    }


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def time_interleaved(functions: dict, repetitions: int, clock=time.process_time) -> dict:
    """Median seconds of each callable; repetition r runs every function once, in turn.

    A value may be a (prepare, timed) pair: ``prepare()`` runs untimed and its result is passed
    to ``timed``.
    """

    def call(function):
        if isinstance(function, tuple):
            prepare, timed = function
            argument = prepare()
            start = clock()
            timed(argument)
        else:
            start = clock()
            function()
        return clock() - start

    for function in functions.values():  # warm-up: page in buffers, load BLAS kernels
        call(function)
    samples = {name: [] for name in functions}
    for _ in range(repetitions):
        for name, function in functions.items():
            samples[name].append(call(function))
    return {name: statistics.median(times) for name, times in samples.items()}


COLUMNS = ("copy", "naive", "fwd", "torch", "bwd", "t.bwd", "t.f+b")
RATIOS = (
    ("fwd/torch", "fwd", "torch"),
    ("bwd/t.bwd", "bwd", "t.bwd"),
    ("bwd/t.f+b", "bwd", "t.f+b"),
)


def run(shapes, repetitions: int, offset: float, only=None, clock: str = "cpu") -> list:
    """Print the table; return its rows as dicts (shape, scheme, medians, ratios)."""
    rng = np.random.default_rng(0)
    header = (
        f"{'shape':>14} {'scheme':<15}"
        + "".join(f"{c:>8}" for c in COLUMNS)
        + "".join(f"{r:>10}" for r, _, _ in RATIOS)
        + f"{'max|y-naive|':>13}"
    )
    print(
        f"float32, offset {offset:g}, milliseconds of {clock} time, median of {repetitions} "
        "interleaved repetitions"
    )
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}")
    print(header)
    print("-" * len(header))
    rows = []
    for shape in shapes:
        x = (offset + rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
        dy = rng.standard_normal(shape, dtype=np.float32)
        label = "x".join(map(str, shape))
        for scheme_id in bnviz.SCHEMES:
            if only and scheme_id not in only:
                continue
            params = default_params(scheme_id, shape[1])
            lay = bnviz.layout(shape, scheme_id, **params)
            functions = {
                "copy": x.copy,
                "naive": lambda x=x, lay=lay: naive_numpy(x, lay),
                "fwd": lambda x=x, s=scheme_id, p=params: bnviz.normalize(x, s, eps=EPS, **p),
                "bwd": lambda x=x, d=dy, s=scheme_id, p=params: bnviz.normalize_backward(
                    x, d, s, eps=EPS, **p
                ),
            }
            functions.update(torch_functions(lay, x, dy))
            medians = time_interleaved(functions, repetitions, CLOCKS[clock])
            # A sanity check that the timed code computes the same thing (float32 rounding).
            difference = np.abs(
                bnviz.normalize(x, scheme_id, eps=EPS, **params).y - naive_numpy(x, lay)
            ).max()
            ratios = {
                name: medians[top] / medians[bottom]
                for name, top, bottom in RATIOS
                if top in medians and bottom in medians
            }
            cells = "".join(
                f"{medians[c] * 1e3:8.2f}" if c in medians else f"{'-':>8}" for c in COLUMNS
            )
            cells += "".join(
                f"{ratios[r]:10.2f}" if r in ratios else f"{'-':>10}" for r, _, _ in RATIOS
            )
            print(f"{label:>14} {scheme_id:<15}{cells}{difference:13.1e}", flush=True)
            rows.append({"shape": shape, "scheme": scheme_id, **medians, **ratios})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small shape, few repetitions")
    parser.add_argument("--repetitions", type=int, default=None, help="default 15 (quick: 3)")
    parser.add_argument(
        "--offset", type=float, default=0.0, help="data = offset + N(0, 1) (default 0)"
    )
    parser.add_argument("--only", default="", help="comma-separated scheme ids (default: all)")
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="cpu", help="process CPU time (default) or wall"
    )
    args = parser.parse_args(argv)
    repetitions = args.repetitions or (3 if args.quick else 15)
    only = {s for s in args.only.split(",") if s} or None
    run(QUICK_SHAPES if args.quick else FULL_SHAPES, repetitions, args.offset, only, args.clock)


if __name__ == "__main__":
    main()
