"""Tiny image sets and GAN configs for fast trainer tests (16 px, 8-wide networks)."""

from __future__ import annotations

import pytest
from gan_helpers import tiny_cfg, tiny_set

from ganlab.data import ImageSet


@pytest.fixture
def train_set() -> ImageSet:
    return tiny_set()


@pytest.fixture
def make_cfg():
    """The :func:`tiny_cfg` factory, as a fixture."""
    return tiny_cfg


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread: None) -> None:
    """Every test here runs on one torch thread (``one_torch_thread`` in tests/conftest.py)."""
