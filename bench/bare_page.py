"""The browser benchmark's baseline: a bare Streamlit page with one Plotly heatmap.

Served by ``bench/bench_browser.py`` next to the app, so that "page open → first map" on each
bnviz page can be read as a ratio to what Streamlit and Plotly alone take on this machine.  The
heatmap is as large as the largest group map bnviz draws (40,000 cells, its MAX_DRAWN_CELLS), as
float32 (sent as a typed array, as bnviz's own figures are).  ``?rows=&cols=`` change its size.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st


def size(name: str, default: int) -> int:
    try:
        return min(1000, max(1, int(st.query_params.get(name, default))))
    except ValueError:
        return default


st.set_page_config(page_title="bare page · bnviz bench", layout="wide")
rows, cols = size("rows", 200), size("cols", 200)
seed = size("seed", 0)
z = np.random.default_rng(seed).normal(size=(rows, cols)).astype(np.float32)
st.title("One heatmap")
st.plotly_chart(go.Figure(go.Heatmap(z=z, colorscale="Viridis")))
