"""istiotui: a keyboard-driven terminal lab for Istio traffic management."""

__version__ = "0.1.0"
