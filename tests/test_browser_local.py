"""The Local normalizations page in a real browser: click a cell, see its window."""

import re

import pytest

pytestmark = pytest.mark.browser

WINDOW_TITLE = (
    "() => [...document.querySelectorAll('.js-plotly-plot')].some("
    "p => p.layout && p.layout.title && (p.layout.title.text || '').includes({text}))"
)

# The (row, column) of the zeros of the map's dimming overlay (its second heatmap), whose z
# travels as plotly's typed array {dtype, bdata, shape} or as nested lists.
BRIGHT_CELLS = """() => {
  const plot = document.querySelectorAll('.js-plotly-plot')[0];
  let z = plot.data.filter(t => t.type === 'heatmap')[1].z;
  if (z.bdata) {
    const bytes = Uint8Array.from(atob(z.bdata), ch => ch.charCodeAt(0));
    const flat = z.dtype === 'f4' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
    const [rows, cols] = String(z.shape).split(',').map(Number);
    z = Array.from({length: rows}, (_, r) => Array.from(flat.slice(r * cols, (r + 1) * cols)));
  }
  const out = [];
  z.forEach((line, r) => line.forEach((v, c) => { if (v === 0) out.push([r, c]); }));
  return out;
}"""


def test_click_a_cell_highlights_its_window_with_ghost_cells(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1000})
    # One sample, 6 channels of 3 x 3: the mosaic is 3 rows by 6 * 4 - 1 = 23 columns.
    page.goto(f"{app_url}/local?n=1&c=6&h=3&w=3")
    page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=30_000)
    # The page opens on two conventions that differ (Caffe's α = 1 against MatConvNet's default).
    page.get_by_text(re.compile(r"A and B differ")).first.wait_for(timeout=30_000)

    # Click cell (0, 5, 1, 2): tile column 5, its row 1 and column 2.
    drag_layer = page.locator(".js-plotly-plot .nsewdrag").first
    drag_layer.scroll_into_view_if_needed()
    box = drag_layer.bounding_box()
    col, row = 5 * 4 + 2, 1
    x = box["x"] + (col + 0.5) / 23 * box["width"]
    y = box["y"] + (row + 0.5) / 3 * box["height"]
    page.mouse.move(x, y)
    page.mouse.click(x, y)

    # The selection reaches Python: the URL and the panel name the cell ...
    page.wait_for_url(re.compile(r"cell=0(%2C|,)5(%2C|,)1(%2C|,)2"), timeout=15_000)
    page.get_by_text(re.compile(r"Cell \(0, 5, 1, 2\)")).first.wait_for(timeout=15_000)
    # ... the enlarged window names it: channels 3 … 7, two of them outside the tensor (C = 6).
    page.wait_for_function(
        WINDOW_TITLE.format(text="'Window of cell (0, 5, 1, 2): 5 cells, 2 hatched'"),
        timeout=15_000,
    )
    # ... and the map keeps exactly the window's in-tensor cells bright (channels 3, 4, 5 at
    # (h, w) = (1, 2)): the dimming overlay's zeros.
    bright = page.evaluate(BRIGHT_CELLS)
    assert bright == [[1, 3 * 4 + 2], [1, 4 * 4 + 2], [1, 5 * 4 + 2]]
    # The formula with this cell's numbers: two padded channels count 0.
    page.get_by_text(
        "2 of the 5 window cells lie outside the tensor: they count 0."
    ).first.wait_for(timeout=15_000)


# The formulas whose content reaches beyond their box (which clips it vertically).
CLIPPED_FORMULAS = """() => [...document.querySelectorAll('.katex-display')]
  .filter(e => e.scrollHeight > e.clientHeight + 1)
  .map(e => [e.textContent.slice(0, 40), e.clientHeight, e.scrollHeight])"""
ALL_SHOWN_WHOLE = f"""() => {{
  const formulas = [...document.querySelectorAll('.katex-display')];
  return formulas.filter(e => e.textContent.includes('denominator')).length >= 4
    && ({CLIPPED_FORMULAS})().length === 0;
}}"""


@pytest.mark.parametrize("width", [1440, 1024])
def test_no_formula_is_cut_off(page, app_url, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{app_url}/local")
    # Each convention's formulas, down to the last, y = x / denominator (a tall fraction), are
    # drawn whole once the page has settled.
    try:
        page.wait_for_function(ALL_SHOWN_WHOLE, timeout=30_000)
    except Exception:
        raise AssertionError(f"clipped: {page.evaluate(CLIPPED_FORMULAS)}") from None
