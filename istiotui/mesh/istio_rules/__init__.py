"""Istio's validating webhook, for the rules a CRD schema cannot say (webhook-like, pure).

Each `*_errors(obj)` takes an object that already passed its schema (types are right) and returns
the rejections Istio's webhook would give, each on the field it is about. Messages follow Istio's
wording where it has one, so that a learner who meets the same mistake on a real cluster
recognises it.
"""

from __future__ import annotations

from istiotui.mesh.istio_rules.destination_rule import destination_rule_errors
from istiotui.mesh.istio_rules.gateway import gateway_errors
from istiotui.mesh.istio_rules.service_entry import service_entry_errors
from istiotui.mesh.istio_rules.virtual_service import virtual_service_errors

__all__ = [
    "destination_rule_errors",
    "gateway_errors",
    "service_entry_errors",
    "virtual_service_errors",
]
