"""Time the Experiment page's training: seconds per epoch of each network and normalization, the
default view, and a full learning-rate sweep.

Run as ``OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_experiment.py`` (``make bench``);
``--quick`` times one epoch of each configuration only (seconds).  Wall-clock and CPU seconds are
both given: on a shared machine the CPU time of this process is the steadier figure (a run uses
one thread).

An epoch is 1,438 training images in batches of 60 (24 SGD steps) plus one scoring of the 359
test images.  Configurations are timed in interleaved repetitions (each repetition runs every
configuration once), so a noisy machine slows them alike; the table reports medians.  The last
column is the share of an epoch spent in the engine's normalization calls (``bnviz.normalize``,
``normalize_backward`` and the running estimates), measured with a profiler in a separate run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

# Single-threaded BLAS, as the page's runs (see bnviz.engine.nets): set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bnviz.engine import nets  # noqa: E402
from bnviz.views import experiment  # noqa: E402

CONFIGS = [
    ("mlp", "none", "before"),
    ("mlp", "batch", "before"),
    ("mlp", "layer", "before"),
    ("cnn", "none", "before"),
    ("cnn", "batch", "before"),
    ("cnn", "group", "before"),
    ("cnn", "layer", "before"),
    ("cnn", "instance", "before"),
    ("cnn", "batch", "after"),
]
ENGINE = ("normalize.py", "backward.py", "running.py")


def epoch_settings(network, norm, place, epochs=1) -> nets.Settings:
    return nets.Settings(network=network, norm=norm, place=place, epochs=epochs, evals=1)


def engine_share(settings: nets.Settings) -> float:
    """The fraction of a run's time inside the engine's normalization modules."""
    profile = cProfile.Profile()
    profile.enable()
    start = time.perf_counter()
    experiment.train(settings)
    total = time.perf_counter() - start
    profile.disable()
    stats = pstats.Stats(profile)
    inside = 0.0
    for (path, _, name), row in stats.stats.items():
        top = path.endswith(ENGINE) and name in ("normalize", "normalize_backward", "infer")
        if top and "bnviz/engine" in path:
            inside += row[3]  # cumulative time
    return inside / total if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition, no sweep")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    experiment.data()  # load the digits before timing
    times = {c: [] for c in CONFIGS}
    cpu_times = {c: [] for c in CONFIGS}
    for _ in range(repeats):
        for config in CONFIGS:
            start, cpu = time.perf_counter(), time.process_time()
            experiment.train(epoch_settings(*config))
            times[config].append(time.perf_counter() - start)
            cpu_times[config].append(time.process_time() - cpu)
    print(f"Seconds per epoch (24 steps of 60 images + scoring 359), median of {repeats}:")
    print(
        f"{'network':8} {'norm':9} {'place':7} {'wall':>7} {'cpu':>7} {'cpu × none':>10} "
        f"{'engine':>7}"
    )
    base = {}
    for config in CONFIGS:
        network, norm, place = config
        wall, cpu = statistics.median(times[config]), statistics.median(cpu_times[config])
        if norm == "none":
            base[network] = cpu
        share = 0.0 if norm == "none" or args.quick else engine_share(epoch_settings(*config))
        print(
            f"{network:8} {norm:9} {place:7} {wall:7.3f} {cpu:7.3f} {cpu / base[network]:10.2f} "
            f"{100 * share:6.0f}%"
        )
    if args.quick:
        return
    print("\nWhole views, trained afresh (wall clock; CPU time of this process in brackets):")
    values, _ = experiment.constrain(dict(experiment.DEFAULTS))
    wall, cpu = time_plan(experiment.plan(values))
    print(
        f"default view ({len(experiment.plan(values))} runs: MLP, none and batch norm, "
        f"{values['seeds']} seeds, {values['epochs']} epochs): {wall:.1f} s ({cpu:.1f} s)"
    )
    values, _ = experiment.constrain({**experiment.DEFAULTS, "section": "lr"})
    needed = experiment.plan(values)
    wall, cpu = time_plan(needed)
    print(
        f"learning-rate sweep ({len(needed)} runs: {len(experiment.LR_GRID)} rates × none and "
        f"batch norm, MLP, {values['epochs']} epochs): {wall:.1f} s ({cpu:.1f} s)"
    )


def time_plan(needed) -> tuple[float, float]:
    """Wall-clock and CPU seconds to train every run of ``needed``."""
    start, cpu = time.perf_counter(), time.process_time()
    for settings in needed:
        experiment.train(settings)
    return time.perf_counter() - start, time.process_time() - cpu


if __name__ == "__main__":
    main()
