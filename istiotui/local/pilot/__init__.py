"""The local pilot: Istio objects in, Envoy v3 listeners and clusters out. Pure: no I/O."""

from __future__ import annotations

from istiotui.local.pilot.compile import EnvoyConfig, canonical, compile_mesh
from istiotui.local.pilot.model import PilotError, PilotOptions
from istiotui.local.pilot.operator import gateway_objects

__all__ = [
    "EnvoyConfig",
    "PilotError",
    "PilotOptions",
    "canonical",
    "compile_mesh",
    "gateway_objects",
]
