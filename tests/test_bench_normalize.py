"""make bench's engine benchmark compares like with like: its PyTorch callables (each scheme's own
recipe) compute what bnviz computes, forward and backward, and a quick run prints every scheme."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import bnviz
from bnviz.engine.schemes import default_params

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_normalize.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_normalize", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.torch
@pytest.mark.parametrize("scheme", list(bnviz.SCHEMES))
def test_torch_callables_compute_what_bnviz_computes(scheme):
    torch = pytest.importorskip("torch")
    bench = load_bench()
    shape = (4, 6, 5, 7)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    dy = rng.standard_normal(shape, dtype=np.float32)
    params = default_params(scheme, shape[1])
    lay = bnviz.layout(shape, scheme, **params)
    functions = bench.torch_functions(lay, x, dy)
    if bnviz.describe(shape, scheme, **params).torch is None:
        assert functions == {}  # no recipe (Caffe's MVN): no PyTorch column
        return
    y = functions["torch"]()
    expected = bnviz.normalize(x, scheme, eps=bench.EPS, **params).y
    np.testing.assert_allclose(y.numpy(), expected, atol=2e-5)
    prepare, timed = functions["t.bwd"]
    dx = timed(prepare())[0]
    gradients = bnviz.normalize_backward(x, dy, scheme, eps=bench.EPS, **params)
    np.testing.assert_allclose(dx.numpy(), gradients.dx, atol=2e-4)
    assert torch.get_num_threads() == 1  # the comparison the README states


def test_quick_run_prints_every_scheme(capsys):
    bench = load_bench()
    rows = bench.run(bench.QUICK_SHAPES, repetitions=1, offset=0.0)
    assert [row["scheme"] for row in rows] == list(bnviz.SCHEMES)
    assert all(row["fwd"] > 0 and row["bwd"] > 0 for row in rows)
    printed = capsys.readouterr().out
    assert "fwd/torch" in printed and "bwd/t.bwd" in printed
