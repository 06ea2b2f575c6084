"""The error every contract check raises."""

from __future__ import annotations


class ContractError(AssertionError):
    """A plugin broke its kind's contract."""
