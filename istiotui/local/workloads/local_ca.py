"""The local certificate authority: made once into the state dir, it signs the stand-ins' certs.

Clients in the local cluster trust it through the CA bundle file (`ISTIOTUI_CA_BUNDLE`), never
through the machine's trust store.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# cryptography is imported where a certificate is made, not here: a stand-in whose certificate
# exists (the cluster issues it before starting it) never loads it (about 17 MiB per process).
if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

CA_NAME = "istiotui local cluster CA"
VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


def tls_dir(root: Path) -> Path:
    return root / "tls"


def ca_bundle_path(root: Path) -> Path:
    return tls_dir(root) / "ca.crt"


def write_private(path: Path, data: bytes) -> None:
    # Written aside and renamed, so a reader never sees half a key; 0600 from the start.
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_ca(root: Path) -> CertPair:
    """The CA's certificate and key under `root`/tls, created at first use."""
    directory = tls_dir(root)
    pair = CertPair(directory / "ca.crt", directory / "ca.key")
    if pair.cert.exists() and pair.key.exists():
        return pair
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(pair.key, key_pem(key))
    write_public(pair.cert, cert.public_bytes(serialization.Encoding.PEM))
    return pair


def ensure_server_cert(root: Path, hostname: str) -> CertPair:
    """A server certificate for `hostname` signed by the local CA, created at first use."""
    pair = CertPair(tls_dir(root) / f"{hostname}.crt", tls_dir(root) / f"{hostname}.key")
    if pair.cert.exists() and pair.key.exists():
        return pair
    from cryptography import x509

    return ensure_signed(root, hostname, hostname, [x509.DNSName(hostname)])


def ensure_signed(
    root: Path, stem: str, common_name: str, names: list[x509.GeneralName]
) -> CertPair:
    """A server certificate `<stem>.crt` (key `<stem>.key`, 0600) for the subject alternative
    `names`, signed by the local CA, made once: the one place the cluster issues certificates."""
    ca = ensure_ca(root)
    directory = tls_dir(root)
    pair = CertPair(directory / f"{stem}.crt", directory / f"{stem}.key")
    if pair.cert.exists() and pair.key.exists():
        return pair
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    write_private(pair.key, key_pem(key))
    write_public(pair.cert, cert.public_bytes(serialization.Encoding.PEM))
    return pair
