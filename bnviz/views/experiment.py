"""The Experiment page's model: which training runs a view needs, and what they add up to.

Pure (NumPy, no Streamlit).  The page reads its URL fields, asks :func:`plan` for the runs its
section needs (each a :class:`bnviz.engine.nets.Settings`), gets each run from the shipped
defaults (:func:`shipped_runs`) or trains it (cached per settings by
:mod:`bnviz.ui.experiment`), and lays out what :func:`compute` returns: curves over seeds or a
sweep, its figures' arrays and its sentences (:mod:`bnviz.text.experiment`).

Sections:

- ``curves``: test accuracy and training loss over steps for each chosen normalization (and for
  the MLP, the batch-norm paper's Fig. 1 b, c: percentiles of one sigmoid's input);
- ``lr``: the learning rate from 0.001 to 100, no normalization against batch norm;
- ``batch``: the batch size from 2 to 256, batch norm against group norm, on the CNN;
- ``init``: the initial weights' scale from 0.01 to 10, no normalization against batch norm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..engine import digits, nets
from ..engine.nets import Run, Settings
from ..text import experiment as words
from .training import GN_PAPER_CITATION, GN_PAPER_TABLE, gn_paper_rows
from .urlstate import Field

PAGE = "experiment"
SECTIONS = {
    "curves": "Training curves",
    "lr": "Learning-rate sweep",
    "batch": "Batch-size sweep",
    "init": "Initialization sweep",
}
NETWORK_NAMES = {
    "mlp": "MLP: 3 × 100 sigmoids (the BN paper's MNIST net)",
    "cnn": "CNN: conv → norm → ReLU → pool, twice → linear",
}
LR_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
BATCH_GRID = (2, 4, 8, 16, 32, 64, 128, 256)
INIT_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: What each sweep compares; the batch sweep runs on the CNN (group norm needs channels).
SWEEP_NORMS = {"lr": ("none", "batch"), "init": ("none", "batch"), "batch": ("batch", "group")}
#: The norms the MLP takes (its features have no channels to group): the engine's own list.
MLP_NORMS = nets.MLP_NORMS
GROUP_CHOICES = (1, 2, 4, 8, 16)
#: The batch sweep's learning rate is the sidebar's times batch / this (the linear rule).
REFERENCE_BATCH = 60
#: "Reached" in the sentences: this test accuracy.
THRESHOLD = 0.9
SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "experiment_defaults.npz"

FIELDS = (
    Field("section", "choice", "curves", choices=tuple(SECTIONS), label="section"),
    Field("network", "choice", "mlp", choices=nets.NETWORKS, label="network"),
    Field("norms", "choices", ("none", "batch"), choices=nets.NORMS, label="normalizations"),
    Field("place", "choice", "before", choices=nets.PLACES, label="norm's place"),
    Field("groups", "int", 4, 1, 16, label="G"),
    Field("lr", "float", 1.0, 1e-4, 100.0, label="learning rate"),
    Field("batch", "int", 60, 2, 256, label="batch size"),
    Field("init", "float", 1.0, 1e-3, 100.0, label="initialization scale"),
    Field("epochs", "int", 15, 1, 100, label="epochs"),
    Field("seeds", "int", 3, 1, 5, label="seeds"),
    Field("sweep_seeds", "int", 1, 1, 5, label="seeds per sweep point"),
    Field("unit", "int", 0, 0, nets.MLP_HIDDEN[-1] - 1, label="sigmoid"),
)
DEFAULTS = {f.key: f.default for f in FIELDS}


def constrain(values: dict) -> tuple[dict, list[str]]:
    """The MLP's normalizations among none, batch and layer; G a divisor of 16 (and so of 32)."""
    values, notices = dict(values), []
    norms = tuple(dict.fromkeys(values["norms"]))
    if values["network"] == "mlp":
        kept = tuple(n for n in norms if n in MLP_NORMS)
        if kept != norms:
            dropped = ", ".join(n for n in norms if n not in MLP_NORMS)
            notices.append(f"The MLP has no channels to group: {dropped} left out.")
        norms = kept
    if not norms:
        norms = DEFAULTS["norms"]
    values["norms"] = norms
    if values["groups"] not in GROUP_CHOICES:
        fitted = max(g for g in GROUP_CHOICES if g <= values["groups"])
        notices.append(f"G = {values['groups']} does not divide 16 channels; using {fitted}.")
        values["groups"] = fitted
    return values, notices


def base_settings(values: dict, **changes) -> Settings:
    """The run the sidebar describes (seed 0, the page's network and normalization place)."""
    settings = Settings(
        network=values["network"],
        norm="none",
        place=values["place"],
        groups=values["groups"],
        lr=float(values["lr"]),
        batch=int(values["batch"]),
        init=float(values["init"]),
        epochs=float(values["epochs"]),
        seed=0,
    )
    return replace(settings, **changes)


def _sweep_settings(values: dict, section: str) -> list[list[list[Settings]]]:
    """[norm][grid point][seed] settings of a sweep."""
    seeds = range(values["sweep_seeds"])
    norms = SWEEP_NORMS[section]
    table = []
    for norm in norms:
        rows = []
        for point in sweep_grid(section):
            if section == "lr":
                change = {"lr": float(point)}
            elif section == "init":
                change = {"init": float(point)}
            else:
                lr = float(values["lr"]) * point / REFERENCE_BATCH
                change = {"batch": int(point), "lr": lr, "network": "cnn"}
            rows.append(
                [base_settings(values, norm=norm, seed=s, evals=1, **change) for s in seeds]
            )
        table.append(rows)
    return table


def sweep_grid(section: str) -> tuple:
    return {"lr": LR_GRID, "batch": BATCH_GRID, "init": INIT_GRID}[section]


def plan(values: dict) -> list[Settings]:
    """Every run the view needs, in the order they are best computed (cheapest first)."""
    if values["section"] == "curves":
        return [
            base_settings(values, norm=norm, seed=seed)
            for seed in range(values["seeds"])
            for norm in values["norms"]
        ]
    table = _sweep_settings(values, values["section"])
    runs = [s for rows in table for seeds in rows for s in seeds]
    return sorted(runs, key=lambda s: (-s.batch, s.seed))


# --- Shipped results --------------------------------------------------------------------------


def default_views() -> list[dict]:
    """The views whose runs ship with the app (``make experiment-defaults``): every section at
    the page's defaults."""
    return [{**DEFAULTS, "section": section} for section in SECTIONS]


@lru_cache(maxsize=1)
def shipped_runs() -> dict[tuple, Run]:
    """The shipped runs by their settings' key (empty if missing or from another engine version)."""
    return nets.load_runs(SHIPPED)


@lru_cache(maxsize=1)
def data() -> tuple[tuple, tuple]:
    """(train, test) inputs of the digits, each (x, y)."""
    d = digits.load_digits()
    return d.inputs("train"), d.inputs("test")


def train(settings: Settings, progress=None) -> Run:
    """One run on the digits."""
    train_data, test_data = data()
    return nets.train(settings, train_data, test_data, progress)


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    """One configuration's runs over seeds.

    Attributes
    ----------
    norm, label : str
    steps : ndarray of int, shape (P,)
    accuracy, train_loss : ndarray of float, shape (S, P)
        Per seed; NaN after a run diverged.
    diverged : list of int or None, length S
    percentiles : ndarray, shape (P, U, 3) or (0,)
        Seed 0's sigmoid-input percentiles (MLP).
    """

    norm: str
    label: str
    steps: np.ndarray
    accuracy: np.ndarray
    train_loss: np.ndarray
    diverged: list
    percentiles: np.ndarray

    @property
    def final_accuracy(self) -> np.ndarray:
        return self.accuracy[:, -1]

    def mean_accuracy(self) -> np.ndarray:
        """The mean over seeds, point by point (NaN where every seed has diverged)."""
        return nets.nanmean(self.accuracy)

    def first_reaching(self, threshold: float) -> int | None:
        """The first scored step at which the mean accuracy over seeds reached ``threshold``."""
        mean = self.mean_accuracy()
        hit = np.flatnonzero(np.isfinite(mean) & (mean >= threshold))
        return int(self.steps[hit[0]]) if hit.size else None

    def unit_percentiles(self, unit: int) -> np.ndarray | None:
        """(P, 3): the 15th, 50th, 85th percentiles of sigmoid ``unit``'s input, or None."""
        if self.percentiles.size == 0:
            return None
        return self.percentiles[:, unit, :]


@dataclass(frozen=True)
class Sweep:
    """A sweep's final results.

    Attributes
    ----------
    section : str
    grid : tuple
        The swept values.
    norms, labels : tuple of str
    accuracy, train_loss : ndarray, shape (norms, grid, seeds)
        Final test accuracy and the last scoring's training loss; NaN for a diverged run.
    diverged : ndarray of bool, shape (norms, grid, seeds)
    lr : ndarray, shape (grid,)
        The learning rate each point used.
    """

    section: str
    grid: tuple
    norms: tuple
    labels: tuple
    accuracy: np.ndarray
    train_loss: np.ndarray
    diverged: np.ndarray
    lr: np.ndarray

    @property
    def mean_accuracy(self) -> np.ndarray:
        return nets.nanmean(self.accuracy, axis=2)

    @property
    def any_diverged(self) -> np.ndarray:
        return self.diverged.any(axis=2)


@dataclass(frozen=True)
class ExperimentResult:
    """Everything the page shows for one view."""

    section: str
    network: str
    curves: list
    sweep: Sweep | None
    sentences: list
    caveats: list
    seconds: float
    paper_rows: list | None = None
    paper_citation: str = ""
    #: The MLP's Fig. 1 (b, c) analogue: sentences on the watched sigmoid's input.
    fig1: tuple = ()

    @property
    def all_sentences(self) -> list:
        """Every sentence, for the shared answer."""
        return list(self.sentences) + list(self.fig1)


def _label(norm: str, values: dict, network: str) -> str:
    return words.norm_label(norm, network=network, place=values["place"], groups=values["groups"])


def _curves(values: dict, runs: Mapping[tuple, Run]) -> list[Curve]:
    curves = []
    for norm in values["norms"]:
        got = [runs[base_settings(values, norm=norm, seed=s).key()] for s in range(values["seeds"])]
        curves.append(
            Curve(
                norm=norm,
                label=_label(norm, values, values["network"]),
                steps=got[0].steps,
                accuracy=np.stack([r.test_accuracy for r in got]),
                train_loss=np.stack([r.train_loss for r in got]),
                diverged=[r.diverged_at for r in got],
                percentiles=got[0].percentiles,
            )
        )
    return curves


def _sweep(values: dict, runs: Mapping[tuple, Run]) -> Sweep:
    section = values["section"]
    table = _sweep_settings(values, section)
    got = [[[runs[s.key()] for s in seeds] for seeds in rows] for rows in table]
    accuracy = np.array([[[r.final_accuracy for r in seeds] for seeds in rows] for rows in got])
    loss = np.array([[[r.final_loss for r in seeds] for seeds in rows] for rows in got])
    diverged = np.array(
        [[[r.diverged_at is not None for r in seeds] for seeds in rows] for rows in got]
    )
    network = "cnn" if section == "batch" else values["network"]
    norms = SWEEP_NORMS[section]
    return Sweep(
        section=section,
        grid=sweep_grid(section),
        norms=norms,
        labels=tuple(_label(n, values, network) for n in norms),
        accuracy=np.where(diverged, np.nan, accuracy),
        train_loss=np.where(diverged, np.nan, loss),
        diverged=diverged,
        lr=np.array([seeds[0].lr for seeds in table[0]]),
    )


def compute(values: dict, runs: Mapping[tuple, Run]) -> ExperimentResult:
    """The view of ``values`` from ``runs`` (which must hold every run :func:`plan` lists)."""
    section = values["section"]
    needed = plan(values)
    seconds = float(sum(runs[s.key()].seconds for s in needed))
    train_size = int(data()[0][1].size)
    if section == "curves":
        curves = _curves(values, runs)
        sentences = words.curve_sentences(curves, THRESHOLD)
        fig1 = ()
        if values["network"] == "mlp":
            fig1 = tuple(words.percentile_sentences(curves, values["unit"]))
        caveats = words.curve_caveats(
            curves,
            network=values["network"],
            epochs=values["epochs"],
            seeds=values["seeds"],
            train_size=train_size,
        )
        return ExperimentResult(
            section,
            values["network"],
            curves,
            None,
            sentences,
            caveats,
            seconds,
            fig1=fig1,
        )
    sweep = _sweep(values, runs)
    network = "cnn" if section == "batch" else values["network"]
    caveats = words.sweep_caveats(
        network=network, epochs=values["epochs"], seeds=values["sweep_seeds"]
    )
    rows, citation = None, ""
    if section == "lr":
        sentences = words.lr_sentences(sweep, THRESHOLD)
    elif section == "init":
        sentences = words.init_sentences(sweep)
        caveats = [words.INIT_NOTE] + caveats
    else:
        sentences = words.batch_sentences(sweep, GN_PAPER_TABLE)
        caveats = words.batch_caveats(
            epochs=values["epochs"], reference_batch=REFERENCE_BATCH, lr=values["lr"]
        )
        rows, citation = gn_paper_rows(), GN_PAPER_CITATION
    return ExperimentResult(
        section, network, [], sweep, sentences, caveats, seconds, rows, citation
    )
