"""Drawing: Plotly figures, and the payload the browser's group map draws.

Pure functions from arrays to figures or bytes (Plotly, NumPy); no Streamlit.
"""
