"""The API server's TLS: a serving certificate for its loopback address, signed by the local CA.

Why TLS on loopback: the owner's bearer token is the credential, and kubectl (client-go) sends a
kubeconfig's credentials only to a server it reaches over TLS. The certificate is made once per
listening address under `<state dir>/tls/` (0600 key) and the local kubeconfig carries the CA, so
kubectl and the kubernetes client verify the server as on any cluster.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
    ca = local_ca.ensure_ca(root)
    directory = local_ca.tls_dir(root)
    pair = local_ca.CertPair(
        directory / f"apiserver-{host}.crt", directory / f"apiserver-{host}.key"
    )
    if pair.cert.exists() and pair.key.exists():
        return pair
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    names = [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + local_ca.VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    local_ca.write_private(pair.key, local_ca.key_pem(key))
    local_ca.write_public(pair.cert, cert.public_bytes(serialization.Encoding.PEM))
    return pair
