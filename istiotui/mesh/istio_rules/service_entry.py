"""Istio's webhook rules for ServiceEntry."""

from __future__ import annotations

from typing import Any

from istiotui.mesh.istio_rules.common import Errors, as_dict, as_list
from istiotui.mesh.schemas.istio_values import (
    HTTP_PROTOCOLS,
    TLS_PROTOCOLS,
    fqdn_problem,
    is_ip,
    is_ip_or_cidr,
    port_problem,
    protocol_problem,
    wildcard_domain_problem,
)
from istiotui.mesh.schemas.meta import is_dns1123_label
from istiotui.mesh.schemas.walker import (
    FORBIDDEN,
    NOT_SUPPORTED,
    REQUIRED,
    FieldError,
    child,
    index,
    show,
)


def service_entry_errors(obj: dict[str, Any]) -> list[FieldError]:
    spec = as_dict(obj.get("spec"))
    out = Errors()
    hosts = [h for h in as_list(spec.get("hosts")) if isinstance(h, str)]
    if not hosts:
        out.add("spec.hosts", "Required value: service entry must have at least one host", REQUIRED)
    for i, host in enumerate(hosts):
        if host == "*":
            out.add(index("spec.hosts", i), 'Invalid value: "*": invalid host *')
        else:
            out.add(index("spec.hosts", i), wildcard_domain_problem(host))
    resolution = spec.get("resolution", "NONE")
    endpoints = as_list(spec.get("endpoints"))
    for i, address in enumerate(as_list(spec.get("addresses"))):
        if isinstance(address, str) and not is_ip_or_cidr(address):
            out.add(
                index("spec.addresses", i),
                f"Invalid value: {show(address)}: not a valid IP address or CIDR",
            )
        elif "/" in str(address) and resolution not in ("NONE", "STATIC"):
            out.add(
                index("spec.addresses", i),
                f"Invalid value: {show(address)}: CIDR addresses are allowed only for NONE/STATIC"
                " resolution types",
            )
    port_names: set[str] = set()
    port_numbers: set[int] = set()
    protocols: list[str] = []
    for i, port in enumerate(as_list(spec.get("ports"))):
        port, here = as_dict(port), index("spec.ports", i)
        name, number = port.get("name"), port.get("number")
        if isinstance(name, str):
            if not is_dns1123_label(name):
                out.add(child(here, "name"), f"Invalid value: {show(name)}: invalid port name")
            elif name in port_names:
                out.add(
                    child(here, "name"),
                    f"Duplicate value: {show(name)}: service entry port name already defined",
                    "FieldValueDuplicate",
                )
            port_names.add(name)
        out.add(child(here, "number"), port_problem(number))
        if isinstance(number, int):
            if number in port_numbers:
                out.add(
                    child(here, "number"),
                    f"Duplicate value: {number}: service entry port already defined",
                    "FieldValueDuplicate",
                )
            port_numbers.add(number)
        protocol = port.get("protocol") or ""
        out.add(child(here, "protocol"), protocol_problem(protocol), NOT_SUPPORTED)
        out.add(child(here, "targetPort"), port_problem(port.get("targetPort")))
        protocols.append(protocol.lower())
    if spec.get("workloadSelector") is not None and spec.get("endpoints") is not None:
        out.add(
            "spec.workloadSelector",
            "Forbidden: only one of WorkloadSelector or Endpoints is allowed in Service Entry",
            FORBIDDEN,
        )
    if resolution == "NONE" and endpoints:
        out.add(
            "spec.endpoints",
            "Forbidden: no endpoints should be provided for resolution type none",
            FORBIDDEN,
        )
    if resolution in ("DNS", "DNS_ROUND_ROBIN") and not endpoints:
        for i, host in enumerate(hosts):
            if host.startswith("*") or fqdn_problem(host):
                out.add(
                    index("spec.hosts", i),
                    f"Invalid value: {show(host)}: hosts must be FQDN if no endpoints are provided"
                    " for resolution mode DNS",
                )
    if resolution == "DNS_ROUND_ROBIN" and len(endpoints) > 1:
        out.add(
            "spec.endpoints",
            "Invalid value: there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN",
        )
    for i, endpoint in enumerate(endpoints):
        _workload_entry(out, as_dict(endpoint), index("spec.endpoints", i), resolution, port_names)
    named = HTTP_PROTOCOLS | TLS_PROTOCOLS
    if resolution != "NONE" and len(hosts) > 1 and any(p not in named for p in protocols):
        out.add("spec.hosts", "Invalid value: multiple hosts provided with non-HTTP, non-TLS ports")
    out.labels(as_dict(spec.get("workloadSelector")).get("labels"), "spec.workloadSelector.labels")
    out.export_to(spec, service_entry=True)
    return out.items


def _workload_entry(
    out: Errors, endpoint: dict[str, Any], path: str, resolution: str, port_names: set[str]
) -> None:
    address = endpoint.get("address")
    if isinstance(address, str) and not address.startswith("unix://"):
        if resolution == "STATIC" and not is_ip(address):
            out.add(
                child(path, "address"), f"Invalid value: {show(address)}: not a valid IP address"
            )
        elif resolution != "STATIC" and not is_ip(address) and fqdn_problem(address):
            out.add(
                child(path, "address"),
                f"Invalid value: {show(address)}: endpoint address is not a valid FQDN or an IP"
                " address",
            )
    for name, number in as_dict(endpoint.get("ports")).items():
        here = child(child(path, "ports"), str(name))
        if name not in port_names:
            out.add(
                here,
                f"Invalid value: {show(name)}: endpoint port is not defined by the service entry",
            )
        out.add(here, port_problem(number))
    out.labels(endpoint.get("labels"), child(path, "labels"))
