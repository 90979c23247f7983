"""The local certificate authority: made once into the state dir, it signs the stand-ins' certs.

Clients in the local cluster trust it through the CA bundle file (`ISTIOTUI_CA_BUNDLE`), never
through the machine's trust store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# cryptography is imported where a certificate is made, not here: a process whose certificates
# exist never loads it. The cluster's server has its certificates made by a short-lived child
# (`ensure_in_child`): once loaded, cryptography stays ≈ 12 MiB of the server's for its life.
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


@dataclass(frozen=True)
class ServerCert:
    """A server certificate to have under `<root>/tls/<stem>.crt|.key`, for these names."""

    stem: str
    common_name: str
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()

    def pair(self, root: Path) -> CertPair:
        return CertPair(tls_dir(root) / f"{self.stem}.crt", tls_dir(root) / f"{self.stem}.key")

    def made(self, root: Path) -> bool:
        pair = self.pair(root)
        return pair.cert.exists() and pair.key.exists()


def _ca_made(root: Path) -> bool:
    return (tls_dir(root) / "ca.crt").exists() and (tls_dir(root) / "ca.key").exists()


def ensure_all(root: Path, certs: Sequence[ServerCert]) -> None:
    """The CA and every certificate of `certs`, made here (this process loads cryptography)."""
    from cryptography import x509

    ensure_ca(root)
    for cert in certs:
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in cert.dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in cert.ips]
        ensure_signed(root, cert.stem, cert.common_name, names)


class CertificateError(RuntimeError):
    """The child that makes the certificates failed; the message is its error."""


def ensure_in_child(root: Path, certs: Sequence[ServerCert], timeout: float = 60.0) -> None:
    """The CA and `certs`, made by a short-lived interpreter when any is missing, so that a
    long-running caller never loads cryptography. Nothing to do (no process) when all exist."""
    if _ca_made(root) and all(c.made(root) for c in certs):
        return
    wanted = json.dumps([asdict(c) for c in certs])
    try:
        proc = subprocess.run(
            [sys.executable, "-m", __name__, "--root", str(root), "--certs", wanted],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CertificateError(
            f"could not make the local cluster's certificates under {tls_dir(root)}: "
            f"no answer in {timeout:.0f} s"
        ) from None
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise CertificateError(
            f"could not make the local cluster's certificates under {tls_dir(root)}: "
            + (lines[-1] if lines else f"exit status {proc.returncode}")
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="make the local cluster's CA and certificates")
    parser.add_argument("--root", type=Path, required=True, help="the local cluster's state dir")
    parser.add_argument("--certs", required=True, help="JSON list of ServerCert fields")
    args = parser.parse_args(argv)
    certs = [
        ServerCert(c["stem"], c["common_name"], tuple(c["dns"]), tuple(c["ips"]))
        for c in json.loads(args.certs)
    ]
    ensure_all(args.root, certs)


if __name__ == "__main__":
    main()
