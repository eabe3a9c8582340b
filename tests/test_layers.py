"""The package's folders are its layers, and each imports only the layers beneath it.

engine (NumPy, Pillow) ← text (numbers to words) ← figures (Plotly, or payloads for the browser)
← views (page models, pure) ← ui (the only Streamlit code).  A notebook user imports bnviz
without Streamlit or Plotly.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bnviz"
LAYERS = ("engine", "text", "figures", "views", "ui")
#: Third-party packages each layer may import.
ALLOWED = {
    "engine": {"numpy", "PIL"},
    "text": {"numpy"},
    "figures": {"numpy", "plotly"},
    "views": {"numpy", "PIL"},
    "ui": {"numpy", "PIL", "plotly", "streamlit"},
}
STDLIB = set(sys.stdlib_module_names)


def imports(path: Path) -> list[tuple[str, int]]:
    """(module, level) of every import in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_only_the_layers_beneath_it(layer):
    below = set(LAYERS[: LAYERS.index(layer) + 1])
    modules = sorted((PACKAGE / layer).glob("*.py"))
    assert modules, layer
    for path in modules:
        for module, level in imports(path):
            if level == 0:
                top = module.split(".")[0]
                if top == "bnviz":
                    used = module.split(".")[1] if "." in module else ""
                    assert used in below, (path.name, module)
                else:
                    assert top in STDLIB or top == "__future__" or top in ALLOWED[layer], (
                        path.name,
                        module,
                    )
            elif level == 2:  # from ..other_layer import
                assert module.split(".")[0] in below, (path.name, module)
            else:
                assert level == 1, (path.name, module, level)


def test_no_module_is_left_in_the_flat_folder():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py"]


def test_a_notebook_import_loads_neither_streamlit_nor_plotly():
    code = (
        "import sys, bnviz, numpy as np;"
        "bnviz.normalize(np.ones((2, 3, 4, 4)), 'batch');"
        "bnviz.describe((2, 3, 4, 4), 'group', num_groups=3);"
        "print(sorted(m for m in ('streamlit', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
