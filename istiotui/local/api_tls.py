"""The API server's TLS: a serving certificate for its loopback address, signed by the local CA.

Why TLS on loopback: the owner's bearer token is the credential, and kubectl (client-go) sends a
kubeconfig's credentials only to a server it reaches over TLS. The certificate is made once per
listening address under `<state dir>/tls/` (0600 key) and the local kubeconfig carries the CA, so
kubectl and the kubernetes client verify the server as on any cluster.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from istiotui.local.workloads import local_ca

COMMON_NAME = "istiotui-local-apiserver"


def ca_pem(root: Path) -> bytes:
    return local_ca.ensure_ca(root).cert.read_bytes()


def server_context(root: Path, host: str) -> ssl.SSLContext:
    """A server-side SSL context for the API on `host` (an IP), creating its certificate once."""
    pair = _ensure_cert(root, host)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pair.cert, pair.key)
    return context


def client_context(root: Path) -> ssl.SSLContext:
    """What a client of this cluster trusts: the local CA only."""
    return ssl.create_default_context(cafile=str(local_ca.ensure_ca(root).cert))


def _ensure_cert(root: Path, host: str) -> local_ca.CertPair:
    stem = f"apiserver-{host}"
    pair = local_ca.CertPair(
        local_ca.tls_dir(root) / f"{stem}.crt", local_ca.tls_dir(root) / f"{stem}.key"
    )
    if pair.cert.exists() and pair.key.exists() and local_ca.ensure_ca(root).cert.exists():
        return pair  # made by an earlier `up`: cryptography (≈ 17 MiB) is not loaded
    from cryptography import x509

    names = [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
    return local_ca.ensure_signed(root, stem, COMMON_NAME, names)
