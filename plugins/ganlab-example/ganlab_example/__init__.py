"""Example third-party ganlab plugins: a filter, an optimizer and a classifier.

Nothing here imports ganlab. Each plugin is a plain factory function registered as an entry
point in this package's ``pyproject.toml``, with an optional ``search_space`` dict attribute.
"""

from __future__ import annotations

__version__ = "0.1.0"
