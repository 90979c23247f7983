"""The API server's TLS: a serving certificate for its loopback address, signed by the local CA.

Why TLS on loopback: the owner's bearer token is the credential, and kubectl (client-go) sends a
kubeconfig's credentials only to a server it reaches over TLS. The certificate is made once per
listening address under `<state dir>/tls/` (0600 key) and the local kubeconfig carries the CA, so
kubectl and the kubernetes client verify the server as on any cluster.
"""

from __future__ import annotations

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


def certificate(host: str) -> local_ca.ServerCert:
    """The API server's certificate on `host` (an IP), as `local_ca` makes it."""
    return local_ca.ServerCert(f"apiserver-{host}", COMMON_NAME, ("localhost",), (host,))


def _ensure_cert(root: Path, host: str) -> local_ca.CertPair:
    cert = certificate(host)
    if not (cert.made(root) and local_ca.ensure_ca(root).cert.exists()):
        # The cluster's server has them made beforehand (local_ca.ensure_in_child); here for
        # any other caller.
        local_ca.ensure_all(root, [cert])
    return cert.pair(root)
