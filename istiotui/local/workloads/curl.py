"""A curl-compatible client for pods: `python -m istiotui.local.workloads.curl [options] URL…`.

It speaks the subset of curl the lab uses (see curl_args) and sends every request the way a
pod's request leaves: through the pod's sidecar with the original Host (and SNI for https), see
`outbound`. Output, messages and exit codes follow curl's: 6 unresolvable host, 7 cannot
connect, 28 timeout, 35 TLS handshake failure, 60 certificate not trusted, 52 empty reply,
22 HTTP error with -f, 2 bad command line.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urljoin

import aiohttp

from istiotui import settings
from istiotui.local.workloads import outbound
from istiotui.local.workloads.curl_args import CurlOptions, UsageError, parse

USER_AGENT = "curl/8.11.1"
REDIRECTS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 50


class CurlError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Transfer:
    """What -w can report about the last transfer."""

    url: str
    started: float = field(default_factory=time.monotonic)
    status: int = 0
    connect_done: float | None = None
    first_byte: float | None = None
    done: float | None = None
    size_download: int = 0
    size_header: int = 0
    remote_ip: str = ""
    remote_port: int = 0
    content_type: str = ""
    redirects: int = 0
    exitcode: int = 0
    errormsg: str = ""

    def since(self, moment: float | None) -> float:
        return 0.0 if moment is None else moment - self.started


def _header_block(resp: aiohttp.ClientResponse) -> bytes:
    version = f"{resp.version.major}.{resp.version.minor}" if resp.version else "1.1"
    lines = [f"HTTP/{version} {resp.status} {resp.reason or ''}".rstrip().encode()]
    lines += [name + b": " + value for name, value in resp.raw_headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _request_headers(
    options: CurlOptions, target: outbound.Target
) -> tuple[dict[str, str], set[str]]:
    """curl's default headers with -H applied ("Name:" removes one); and the headers to omit."""
    headers = {"User-Agent": options.user_agent or USER_AGENT, "Accept": "*/*"}
    for raw in options.headers:
        if ":" in raw:
            name, value = raw.split(":", 1)
            value = value.strip()
            key = next((k for k in headers if k.lower() == name.strip().lower()), name.strip())
            if value:
                headers[key] = value
            else:
                headers.pop(key, None)
        elif raw.endswith(";"):
            headers[raw[:-1].strip()] = ""
    kwargs_headers = outbound.request_kwargs(target, headers)["headers"]
    skip = {"Accept-Encoding", "Content-Type"} | {
        name for name in ("User-Agent", "Accept") if name not in kwargs_headers
    }
    return kwargs_headers, skip


def _ssl_context(options: CurlOptions) -> ssl.SSLContext:
    if options.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile = options.cacert or settings.CA_BUNDLE.get() or None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise CurlError(77, f"error setting certificate file: {cafile} ({exc})") from None


def _connect_error(
    exc: aiohttp.ClientConnectorError, target: outbound.Target, elapsed_ms: int
) -> CurlError:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return CurlError(60, f"SSL certificate problem: {exc.certificate_error}")
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return CurlError(35, f"TLS connect error: {exc.os_error}")
    os_error = exc.os_error
    if target.scheme == "https" and isinstance(os_error, ConnectionResetError | BrokenPipeError):
        return CurlError(
            35,
            f"OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to {target.host}:{target.port}",
        )
    if isinstance(os_error, TimeoutError):
        return CurlError(
            28,
            f"Failed to connect to {target.host} port {target.port} after {elapsed_ms} ms: "
            "Timeout was reached",
        )
    return CurlError(
        7,
        f"Failed to connect to {target.host} port {target.port} after {elapsed_ms} ms: "
        "Couldn't connect to server",
    )


def _trace(target: outbound.Target, method: str, headers: dict[str, str], block: bytes) -> None:
    """-v: what was sent and received, curl-style, on stderr."""
    err = sys.stderr
    where = f"{target.connect_host}:{target.connect_port}"
    err.write(f"* Connected to {target.host} ({where}) port {target.port}\n")
    err.write(f"> {method} {target.path} HTTP/1.1\n")
    for name, value in headers.items():
        err.write(f"> {name}: {value}\n")
    err.write(">\n")
    for line in block.decode(errors="replace").split("\r\n")[:-1]:
        err.write(f"< {line}\n")
    err.flush()


async def _fetch(
    session: aiohttp.ClientSession,
    options: CurlOptions,
    url: str,
    method: str,
    transfer: Transfer,
    out: BinaryIO,
    header_out: BinaryIO | None,
) -> str | None:
    """One request/response; returns the URL to follow next (-L), or None when done."""
    try:
        target = outbound.resolve(url)
    except outbound.UnresolvableHost as exc:
        raise CurlError(6, f"Could not resolve host: {exc.host}") from None
    except outbound.OutboundError as exc:
        raise CurlError(3, f"URL rejected: {exc}") from None
    headers, skip = _request_headers(options, target)
    transfer.url = url
    transfer.remote_ip, transfer.remote_port = target.connect_host, target.connect_port
    kwargs = outbound.request_kwargs(target)
    kwargs["headers"] = headers
    if target.scheme == "https":
        kwargs["ssl"] = _ssl_context(options)
    data = options.data.encode() if options.data is not None else None
    if data is not None:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        skip.discard("Content-Type")
    try:
        async with session.request(
            method,
            target.connect_url,
            data=data,
            allow_redirects=False,
            skip_auto_headers=skip,
            **kwargs,
        ) as resp:
            if target.unresolved(resp.headers):
                raise CurlError(6, f"Could not resolve host: {target.host}")
            transfer.first_byte = time.monotonic()
            transfer.status = resp.status
            if options.verbose:
                _trace(target, method, headers, block=_header_block(resp))
            transfer.content_type = resp.headers.get("Content-Type", "")
            block = _header_block(resp)
            transfer.size_header += len(block)
            if header_out is not None:
                header_out.write(block)
            if options.fail and resp.status >= 400:
                raise CurlError(22, f"The requested URL returned error: {resp.status}")
            follow = (
                resp.headers.get("Location")
                if options.location and resp.status in REDIRECTS
                else None
            )
            if options.head or options.include:
                out.write(block)
            if method != "HEAD":
                async for chunk in resp.content.iter_any():
                    transfer.size_download += len(chunk)
                    if follow is None:
                        out.write(chunk)
            out.flush()
            return urljoin(url, follow) if follow else None
    except aiohttp.ClientConnectorError as exc:
        elapsed = int((time.monotonic() - transfer.started) * 1000)
        raise _connect_error(exc, target, elapsed) from None
    except aiohttp.ServerDisconnectedError:
        if transfer.first_byte is None:
            raise CurlError(52, "Empty reply from server") from None
        raise CurlError(18, "transfer closed with outstanding read data remaining") from None
    except aiohttp.ClientPayloadError:
        raise CurlError(18, "transfer closed with outstanding read data remaining") from None
    except aiohttp.ClientOSError as exc:
        raise CurlError(56, f"Recv failure: {exc.strerror or exc}") from None


async def _transfer(
    options: CurlOptions, url: str, out: BinaryIO, header_out: BinaryIO | None
) -> Transfer:
    transfer = Transfer(url)
    method = options.method or ("HEAD" if options.head else "POST" if options.data else "GET")
    timeout = aiohttp.ClientTimeout(total=options.max_time, connect=options.connect_timeout)

    async def on_connected(*_: object) -> None:
        transfer.connect_done = time.monotonic()

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_connected)
    connector = outbound.connector(force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, auto_decompress=False, trace_configs=[trace]
    ) as session:
        try:
            next_url: str | None = url
            while next_url is not None:
                next_url = await _fetch(
                    session, options, next_url, method, transfer, out, header_out
                )
                if next_url is not None:
                    transfer.redirects += 1
                    if transfer.redirects > MAX_REDIRECTS:
                        raise CurlError(47, f"Maximum ({MAX_REDIRECTS}) redirects followed")
                    if transfer.status == 303 or (
                        transfer.status in (301, 302) and method == "POST"
                    ):
                        method = "GET"
        except TimeoutError:
            elapsed = int((time.monotonic() - transfer.started) * 1000)
            transfer.exitcode = 28
            transfer.errormsg = (
                f"Operation timed out after {elapsed} milliseconds with "
                f"{transfer.size_download} bytes received"
            )
        except CurlError as exc:
            transfer.exitcode, transfer.errormsg = exc.code, str(exc)
    transfer.done = time.monotonic()
    return transfer


def write_out(fmt: str, t: Transfer) -> str:
    values = {
        "http_code": f"{t.status:03d}",
        "response_code": f"{t.status:03d}",
        "time_total": f"{t.since(t.done):.6f}",
        "time_connect": f"{t.since(t.connect_done):.6f}",
        "time_namelookup": "0.000000",
        "time_starttransfer": f"{t.since(t.first_byte):.6f}",
        "size_download": str(t.size_download),
        "size_header": str(t.size_header),
        "remote_ip": t.remote_ip,
        "remote_port": str(t.remote_port),
        "url_effective": t.url,
        "content_type": t.content_type,
        "num_redirects": str(t.redirects),
        "exitcode": str(t.exitcode),
        "errormsg": t.errormsg,
    }
    out = []
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%" and fmt.startswith("%{", i) and "}" in fmt[i:]:
            end = fmt.index("}", i)
            out.append(values.get(fmt[i + 2 : end], ""))
            i = end + 1
            continue
        if char == "%" and fmt.startswith("%%", i):
            out.append("%")
            i += 2
            continue
        if char == "\\" and i + 1 < len(fmt) and fmt[i + 1] in "nrt\\":
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[fmt[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _open(path: str | None, default: BinaryIO | None) -> BinaryIO | None:
    if path is None:
        return default
    if path == "-":
        return sys.stdout.buffer
    return open(path, "wb")


async def run(argv: Sequence[str]) -> int:
    try:
        options = parse(argv)
    except UsageError as exc:
        sys.stderr.write(f"curl: {exc}\ncurl: try 'curl --help' for more information\n")
        return 2
    stdout = sys.stdout.buffer
    code = 0
    for url in options.urls:
        try:
            out = _open(options.output, stdout)
            header_out = _open(options.dump_header, None)
        except OSError as exc:
            sys.stderr.write(f"curl: (23) Failure writing output to destination: {exc}\n")
            return 23
        assert out is not None
        try:
            transfer = await _transfer(options, url, out, header_out)
        finally:
            for stream in (out, header_out):
                if stream is not None and stream is not stdout:
                    stream.close()
            stdout.flush()
        if options.write_out is not None:
            stdout.write(write_out(options.write_out, transfer).encode())
            stdout.flush()
        if transfer.exitcode:
            code = transfer.exitcode
            if options.shows_errors:
                sys.stderr.write(f"curl: ({transfer.exitcode}) {transfer.errormsg}\n")
    return code


def main(argv: Sequence[str] | None = None) -> None:
    sys.exit(asyncio.run(run(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()
