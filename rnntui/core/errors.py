"""Errors a person can act on. Light on purpose: the CLI imports these before torch loads."""

from __future__ import annotations


class SpecError(ValueError):
    """A specification a person wrote is wrong; the message says what and what to do."""


class RunError(ValueError):
    """A run directory or checkpoint that cannot be used; the message says why."""


class HuntError(ValueError):
    """A neuron hunt that cannot be ranked (bad regex, constant target)."""
