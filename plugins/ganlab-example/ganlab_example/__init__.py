"""Example third-party ganlab plugins: a filter, an optimizer, a GAN loss and two classifiers.

Nothing here imports ganlab. Each plugin is a plain factory function registered as an entry
point in this package's ``pyproject.toml``; optional capabilities are plain attributes
(``search_space``, ``gan_checkpoint_param``, ...; see ``ganlab.contracts``).
"""

from __future__ import annotations

__version__ = "0.1.0"
