"""Time bnviz.normalize against a plain copy, naive NumPy and single-thread PyTorch.

Run as ``OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_normalize.py`` (``make bench``).
``--quick`` is a seconds-long smoke run on one small shape.

Every column of a row is measured in the same run with interleaved repetitions (each repetition
times copy, naive, bnviz and torch one after the other), so a noisy machine slows them alike; the
table reports medians in milliseconds.
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

try:
    import torch
    from torch.nn import functional

    torch.set_num_threads(1)
except ImportError:  # the torch column is left blank
    torch = None

FULL_SHAPES = [(32, 64, 56, 56), (256, 512, 7, 7), (8, 3, 224, 224)]
QUICK_SHAPES = [(4, 8, 6, 5)]
EPS = 1e-5


def scheme_params(scheme_id: str, channels: int) -> dict | None:
    """Hyper-parameters for a benchmark run, or None when the scheme needs one we don't know."""
    params = {}
    for param in bnviz.SCHEMES[scheme_id].params:
        if param.name == "num_groups":
            # 32 groups like the GroupNorm paper where C allows, else the largest divisor below.
            params["num_groups"] = max(d for d in bnviz.divisors(channels) if d <= 32)
        elif param.default is None:
            return None
    return params


def naive_numpy(x: np.ndarray, view_shape: tuple, axes: tuple) -> np.ndarray:
    """The textbook NumPy normalization: mean, var, subtract and divide, all whole-array."""
    view = x.reshape(view_shape)
    mean = view.mean(axis=axes, keepdims=True)
    var = view.var(axis=axes, keepdims=True)
    return ((view - mean) / np.sqrt(var + EPS)).reshape(x.shape)


def torch_function(scheme_id: str, tensor, params: dict):
    """A zero-argument callable running PyTorch's layer for ``scheme_id``, or None if it has none."""
    if torch is None:
        return None
    n = tensor.shape[0]
    if scheme_id == "batch":
        return lambda: functional.batch_norm(tensor, None, None, training=True, eps=EPS)
    if scheme_id == "batch-pixel":
        flat = tensor.reshape(n, -1)
        return lambda: functional.batch_norm(flat, None, None, training=True, eps=EPS)
    if scheme_id == "layer":
        return lambda: functional.layer_norm(tensor, tensor.shape[1:], eps=EPS)
    if scheme_id == "instance":
        return lambda: functional.instance_norm(tensor, eps=EPS)
    if scheme_id == "group":
        return lambda: functional.group_norm(tensor, params["num_groups"], eps=EPS)
    return None


def time_interleaved(functions: dict, repetitions: int) -> dict:
    """Median seconds of each callable; repetition r runs every function once, in turn."""
    for function in functions.values():  # warm-up: page in buffers, load BLAS kernels
        function()
    samples = {name: [] for name in functions}
    for _ in range(repetitions):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def run(shapes, repetitions: int, offset: float) -> None:
    rng = np.random.default_rng(0)
    columns = ("copy", "naive", "bnviz", "bwd", "torch")  # bwd: bnviz.normalize_backward
    header = (
        f"{'shape':>18} {'scheme':<16}"
        + "".join(f"{c + ' ms':>10}" for c in columns)
        + f"{'bnviz/naive':>13}{'bnviz/torch':>13}{'max|y-naive|':>14}"
    )
    print(f"float32, offset {offset:g}, median of {repetitions} interleaved repetitions")
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}")
    print(header)
    print("-" * len(header))
    for shape in shapes:
        x = (offset + rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
        dy = rng.standard_normal(shape, dtype=np.float32)
        tensor = torch.from_numpy(x) if torch is not None else None
        label = "x".join(map(str, shape))
        for scheme_id in bnviz.SCHEMES:
            params = scheme_params(scheme_id, shape[1])
            if params is None:
                print(
                    f"{label:>18} {scheme_id:<16} skipped: needs a parameter the bench can't pick"
                )
                continue
            lay = bnviz.layout(shape, scheme_id, **params)
            functions = {
                "copy": x.copy,
                "naive": lambda x=x, lay=lay: naive_numpy(x, lay.view_shape, lay.reduced_axes),
                "bnviz": lambda x=x, s=scheme_id, p=params: bnviz.normalize(x, s, eps=EPS, **p),
                "bwd": lambda x=x, d=dy, s=scheme_id, p=params: bnviz.normalize_backward(
                    x, d, s, eps=EPS, **p
                ),
            }
            torch_call = torch_function(scheme_id, tensor, params)
            if torch_call is not None:
                functions["torch"] = torch_call
            medians = time_interleaved(functions, repetitions)
            # A sanity check that the timed code computes the same thing (float32 rounding).
            difference = np.abs(
                bnviz.normalize(x, scheme_id, eps=EPS, **params).y
                - naive_numpy(x, lay.view_shape, lay.reduced_axes)
            ).max()
            cells = "".join(
                f"{medians[c] * 1e3:10.2f}" if c in medians else f"{'-':>10}" for c in columns
            )
            ratio_naive = medians["bnviz"] / medians["naive"]
            ratio_torch = (
                f"{medians['bnviz'] / medians['torch']:13.2f}"
                if "torch" in medians
                else f"{'-':>13}"
            )
            print(
                f"{label:>18} {scheme_id:<16}{cells}{ratio_naive:13.2f}{ratio_torch}"
                f"{difference:14.1e}",
                flush=True,
            )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small shape, few repetitions")
    parser.add_argument("--repetitions", type=int, default=None, help="default 15 (quick: 3)")
    parser.add_argument(
        "--offset", type=float, default=0.0, help="data = offset + N(0, 1) (default 0)"
    )
    args = parser.parse_args(argv)
    repetitions = args.repetitions or (3 if args.quick else 15)
    run(QUICK_SHAPES if args.quick else FULL_SHAPES, repetitions, args.offset)


if __name__ == "__main__":
    main()
