"""The engine: normalization schemes, their layouts and kernels, local norms, conv, picture loading.

NumPy (and Pillow for pictures) only: nothing here knows of text, figures, pages or Streamlit.
``import bnviz`` re-exports the public API from here.
"""
