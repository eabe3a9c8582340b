"""Page models: each page's URL fields, their constraints and everything it shows, computed.

Pure (no Streamlit): a page reads its widgets, calls a view, and lays out what it returns.
"""
