"""Istio's webhook rules for Gateway."""

from __future__ import annotations

from typing import Any

from istiotui.mesh.istio_rules.common import Errors, as_dict, as_list
from istiotui.mesh.schemas.istio_values import (
    HTTP_PROTOCOLS,
    TLS_PROTOCOLS,
    is_ip,
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


def gateway_errors(obj: dict[str, Any]) -> list[FieldError]:
    spec = as_dict(obj.get("spec"))
    out = Errors()
    name = as_dict(obj.get("metadata")).get("name")
    if isinstance(name, str) and name and not is_dns1123_label(name):
        # Istio asks more of a Gateway's name than Kubernetes does: a DNS label, no dots.
        out.add("metadata.name", f"Invalid value: {show(name)}: invalid gateway name")
    servers = as_list(spec.get("servers"))
    if not servers:
        out.add("spec.servers", "Required value: gateway must have at least one server", REQUIRED)
    port_names: set[str] = set()
    for i, server in enumerate(servers):
        server, here = as_dict(server), index("spec.servers", i)
        hosts = as_list(server.get("hosts"))
        if not hosts:
            out.add(
                child(here, "hosts"),
                "Required value: server config must contain at least one host",
                REQUIRED,
            )
        for j, host in enumerate(hosts):
            if isinstance(host, str):
                out.add(index(child(here, "hosts"), j), _gateway_host_problem(host))
        port = server.get("port")
        if port is None:
            out.add(child(here, "port"), "Required value: port is required", REQUIRED)
            continue
        port = as_dict(port)
        out.add(child(child(here, "port"), "number"), port_problem(port.get("number")))
        protocol = port.get("protocol") or ""
        if protocol_problem(protocol):
            out.add(
                child(child(here, "port"), "protocol"),
                f"Unsupported value: {show(protocol)}: invalid protocol, supported protocols are"
                " HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP, TLS",
                NOT_SUPPORTED,
            )
        if port.get("targetPort"):
            out.add(
                child(child(here, "port"), "targetPort"),
                "Forbidden: targetPort has no impact on Gateways",
                FORBIDDEN,
            )
        name = port.get("name")
        if isinstance(name, str) and name:
            if name in port_names:
                out.add(
                    child(child(here, "port"), "name"),
                    f"Duplicate value: {show(name)}: port names in servers must be unique",
                    "FieldValueDuplicate",
                )
            port_names.add(name)
        _server_tls(out, server, protocol.lower(), here)
    out.labels(spec.get("selector"), "spec.selector")
    return out.items


def _gateway_host_problem(host: str) -> str | None:
    namespace, slash, name = host.partition("/")
    if slash:
        if not namespace or not name:
            return (
                f"Invalid value: {show(host)}: config namespace and dnsName in host entry cannot"
                " be empty"
            )
        if namespace not in ("*", ".") and not is_dns1123_label(namespace):
            return f"Invalid value: {show(host)}: invalid namespace value {namespace!r} in gateway"
    else:
        name = host
    if name != "*" and "." not in name:
        return f"Invalid value: {show(host)}: short names (non FQDN) are not allowed"
    if is_ip(name):
        return None
    return wildcard_domain_problem(name)


def _server_tls(out: Errors, server: dict[str, Any], protocol: str, path: str) -> None:
    tls = server.get("tls")
    if protocol in TLS_PROTOCOLS and tls is None:
        out.add(
            child(path, "tls"),
            "Required value: server must have TLS settings for HTTPS/TLS protocols",
            REQUIRED,
        )
        return
    if tls is None:
        return
    tls = as_dict(tls)
    mode = tls.get("mode")
    here = child(path, "tls")
    files = [k for k in ("serverCertificate", "privateKey", "caCertificates") if tls.get(k)]
    passthrough = mode in (None, "PASSTHROUGH", "AUTO_PASSTHROUGH")
    if protocol in HTTP_PROTOCOLS and (not passthrough or files):
        # Only `httpsRedirect` makes sense under a plain-text HTTP server.
        out.add(
            here, "Forbidden: server cannot have TLS settings for plain text HTTP ports", FORBIDDEN
        )
    elif protocol and protocol not in HTTP_PROTOCOLS | TLS_PROTOCOLS:
        out.add(
            here, "Forbidden: server cannot have TLS settings for non HTTPS/TLS ports", FORBIDDEN
        )
    if mode == "ISTIO_MUTUAL":
        for key in (*files, *(["credentialName"] if tls.get("credentialName") else [])):
            out.add(
                child(here, key),
                f"Forbidden: ISTIO_MUTUAL TLS cannot have an associated {key}",
                FORBIDDEN,
            )
        return
    if tls.get("caCrl"):
        if tls.get("credentialName"):
            out.add(
                child(here, "caCrl"),
                "Forbidden: CRL is not supported with credentialName. CRL has to be specified in"
                " the credential",
                FORBIDDEN,
            )
        if mode == "SIMPLE":
            out.add(
                child(here, "caCrl"), "Forbidden: CRL is not supported with SIMPLE TLS", FORBIDDEN
            )
    has_credential = (
        tls.get("credentialName") or tls.get("credentialNames") or tls.get("tlsCertificates")
    )
    if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL") and not has_credential:
        for key in ("serverCertificate", "privateKey"):
            if not tls.get(key):
                out.add(
                    child(here, key),
                    f"Required value: {mode} TLS requires a private key and server certificate,"
                    " or credentialName",
                    REQUIRED,
                )
        if mode != "SIMPLE" and not tls.get("caCertificates"):
            out.add(
                child(here, "caCertificates"),
                f"Required value: {mode} TLS requires a CA certificate, or credentialName",
                REQUIRED,
            )
