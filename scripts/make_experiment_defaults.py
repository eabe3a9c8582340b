"""Train the Experiment page's default views and ship them (``make experiment-defaults``).

Usage: OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/make_experiment_defaults.py [--keep]
--keep reuses the runs already in the file (same settings, same engine version) and trains only
the new ones; without it every run is trained afresh (what ``make experiment-defaults`` does).

Writes assets/experiment_defaults.npz: every run the page's four sections need at their default
settings (``bnviz.views.experiment.default_views``), so the page opens at once.  The page uses a
shipped run only when its settings match exactly and the file's engine version is the current
``bnviz.engine.nets.VERSION``;
``tests/app/test_experiment_page.py::test_a_shipped_run_is_what_its_seed_trains_to`` retrains
one shipped run and compares.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bnviz.engine import nets  # noqa: E402
from bnviz.views import experiment  # noqa: E402


def main() -> None:
    keep = nets.load_runs(experiment.SHIPPED) if "--keep" in sys.argv[1:] else {}
    needed = {}
    for values in experiment.default_views():
        values, _ = experiment.constrain(values)
        for settings in experiment.plan(values):
            needed[settings.key()] = settings
    runs, start = [], time.perf_counter()
    for k, settings in enumerate(needed.values(), start=1):
        run = keep.get(settings.key()) or experiment.train(settings)
        runs.append(run)
        kept = " (kept)" if settings.key() in keep else ""
        print(f"{k}/{len(needed)} {settings} {run.seconds:.2f} s{kept}", flush=True)
    nets.save_runs(experiment.SHIPPED, runs)
    size = experiment.SHIPPED.stat().st_size
    print(f"wrote {experiment.SHIPPED} ({size:,} bytes), {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
