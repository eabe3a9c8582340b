"""Numbers into words: sentences, LaTeX-free Markdown answers and titles, from computed facts.

Imports only the engine.
"""
