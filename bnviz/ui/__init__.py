"""The Streamlit layer: URL-backed widget state, cached results, shared page furniture, the
share panel and the group-map component.  The only part of the package that imports Streamlit.
"""
