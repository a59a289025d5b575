"""The registry of layer types: importing this package registers every family."""

from . import activation, attention, conv, linear, merge, norm, pool, shape, stochastic  # noqa: F401  (registration)
from .base import REGISTRY, LayerType, lookup

__all__ = ["REGISTRY", "LayerType", "lookup"]
