"""The image → implementation table: what a pod's container image runs on this machine.

Pods run what their image names, as on a real cluster. Istio's sample images map to this
project's implementations (Bookinfo, the fortio- and curl-compatible clients) or to the real
PyPI `httpbin` under gunicorn; `istio/proxyv2` runs no process (the one local Envoy plays every
proxy), nor does `istio/pilot` (istiod's image: the local pilot is part of the local cluster).
Any other image is an `UnknownImage`, which the controller turns into a Pending pod with an
event: never a silent stand-in.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from istiotui.local.addresses import bind_port

PKG = "istiotui.local.workloads"


class ImageError(Exception):
    """An image (or its command) this local cluster cannot run."""


class UnknownImage(ImageError):
    def __init__(self, image: str) -> None:
        super().__init__(
            f"no local implementation for image {image!r}: the local cluster runs Istio's "
            "Bookinfo, httpbin, curl and fortio sample images, istio/proxyv2 and istio/pilot only"
        )
        self.image = image


class UnsupportedCommand(ImageError):
    def __init__(self, image: str, command: Sequence[str], why: str) -> None:
        super().__init__(f"image {image!r}: cannot run command {list(command)!r} locally: {why}")
        self.image = image
        self.command = list(command)


@dataclass(frozen=True)
class Readiness:
    """How to tell the container is serving: an HTTP GET (path set) or a TCP connect.

    The images' own entries are TCP connects: a check nobody declared must leave no line in the
    app's access log (HTTP probes come only from a manifest, see `probes`)."""

    port: int
    path: str | None = None


@dataclass(frozen=True)
class Implementation:
    """What to run for one container. `argv` is None for the proxy (Envoy does it)."""

    image: str
    kind: str
    argv: list[str] | None
    env: dict[str, str] = field(default_factory=dict)
    readiness: Readiness | None = None

    @property
    def runs_process(self) -> bool:
        return self.argv is not None


_IMAGE_RE = re.compile(
    r"^(?:(?P<registry>[^/]+\.[^/]+|localhost(?::\d+)?|[^/]+:\d+)/)?"
    r"(?P<name>[a-z0-9._/-]+?)(?::(?P<tag>[\w.-]+))?(?:@(?P<digest>[\w:]+))?$"
)


def image_name(image: str) -> str:
    """The repository path without registry, tag or digest: 'istio/examples-bookinfo-details-v1'."""
    match = _IMAGE_RE.match(image.strip())
    if not match:
        raise UnknownImage(image)
    name = match.group("name")
    return name.removeprefix("library/")


def _module(name: str) -> list[str]:
    return [sys.executable, "-m", f"{PKG}.{name}"]


_BOOKINFO_RE = re.compile(r"^istio/examples-bookinfo-(productpage|details|ratings|reviews)-v(\d+)$")
_REVIEWS_ENV = {
    "1": {"ENABLE_RATINGS": "false"},
    "2": {"ENABLE_RATINGS": "true", "STAR_COLOR": "black"},
    "3": {"ENABLE_RATINGS": "true", "STAR_COLOR": "red"},
}
_HTTPBIN_IMAGES = {
    # image → the port its default command listens on
    "kennethreitz/httpbin": 80,
    "kong/httpbin": 80,
    "mccutchen/go-httpbin": 8080,
}
_PROXY_IMAGES = {"istio/proxyv2", "istio-release/proxyv2", "auto"}
# istiod: the local pilot, which runs inside the local cluster itself, is its process.
_PILOT_IMAGES = {"istio/pilot", "istio-release/pilot"}
_FORTIO_IMAGES = {"fortio/fortio", "istio/fortio"}
_CURL_IMAGES = {"curlimages/curl"}


def resolve(
    image: str,
    pod_ip: str,
    command: Sequence[str] | None = None,
    args: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Implementation:
    """The implementation of `image` for a container on `pod_ip` with this command, args and env."""
    name = image_name(image)
    full = [*(command or []), *(args or [])]
    bookinfo = _BOOKINFO_RE.match(name)
    if bookinfo:
        service, version = bookinfo.groups()
        if service == "reviews" and version not in _REVIEWS_ENV:
            raise UnknownImage(image)
        if service != "reviews" and version != "1":
            raise UnknownImage(image)
        if command:
            raise UnsupportedCommand(image, full, "Bookinfo images run their own server only")
        return Implementation(
            image=image,
            kind=f"bookinfo-{service}",
            argv=[*_module(f"bookinfo_{service}"), "--bind", pod_ip, "--port", "9080"],
            env=dict(_REVIEWS_ENV[version]) if service == "reviews" else {},
            readiness=Readiness(9080),
        )
    if name in _HTTPBIN_IMAGES:
        return _httpbin(image, pod_ip, command, args, _HTTPBIN_IMAGES[name])
    if name in _CURL_IMAGES:
        return _curl(image, full)
    if name in _FORTIO_IMAGES:
        return _fortio(image, pod_ip, full)
    if name in _PROXY_IMAGES or name.endswith("/proxyv2"):
        return Implementation(image=image, kind="proxy", argv=None)
    if name in _PILOT_IMAGES:
        return Implementation(image=image, kind="pilot", argv=None)
    raise UnknownImage(image)


def _httpbin(
    image: str,
    pod_ip: str,
    command: Sequence[str] | None,
    args: Sequence[str] | None,
    default_port: int,
) -> Implementation:
    full = [*(command or []), *(args or [])]
    if not full:
        # The images' own default: gunicorn on their port, without an access log.
        full = ["gunicorn", "-b", f"0.0.0.0:{default_port}", "httpbin:app"]
    if full[0].rsplit("/", 1)[-1] != "gunicorn":
        raise UnsupportedCommand(image, full, "httpbin images run gunicorn only")
    argv, port = gunicorn_argv(image, full[1:], pod_ip)
    return Implementation(
        image=image,
        kind="httpbin",
        # --preload: the app is imported before the port is bound, so the TCP readiness check
        # (which leaves no access log line) also means the app loaded; a broken one exits first.
        argv=[sys.executable, "-m", "gunicorn", "--preload", *argv],
        readiness=Readiness(port),
    )


def gunicorn_argv(image: str, argv: Sequence[str], pod_ip: str) -> tuple[list[str], int]:
    """gunicorn's arguments with every bind address made the pod IP; (args, the declared port).

    The port is bound where the cluster's one port mapping says (80 → 10080): see addresses.

    `-k gevent` is dropped (the gevent worker is not installed here; gunicorn's default sync
    worker serves the lab's traffic). Any other option is passed to gunicorn unchanged.
    """
    out: list[str] = []
    port: int | None = None
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        if item in ("-b", "--bind") and i + 1 < len(items):
            bind, port = _rebind(image, items[i + 1], pod_ip)
            out += [item, bind]
            i += 2
            continue
        if item.startswith("--bind="):
            bind, port = _rebind(image, item.split("=", 1)[1], pod_ip)
            out.append(f"--bind={bind}")
        elif item in ("-k", "--worker-class") and i + 1 < len(items):
            if items[i + 1] not in ("gevent", "eventlet"):
                out += [item, items[i + 1]]
            i += 2
            continue
        else:
            out.append(item)
        i += 1
    if port is None:
        port = 8000  # gunicorn's own default bind
        out = ["-b", f"{pod_ip}:{bind_port(pod_ip, port)}", *out]
    return out, port


def _rebind(image: str, bind: str, pod_ip: str) -> tuple[str, int]:
    match = re.fullmatch(r"(?:\[(?P<v6>[^\]]*)\]|(?P<host>[^:]*))(?::(?P<port>\d+))?", bind)
    if not match:
        raise UnsupportedCommand(image, ["gunicorn", "-b", bind], "cannot read the bind address")
    port = int(match.group("port") or 8000)
    return f"{pod_ip}:{bind_port(pod_ip, port)}", port


def _sleep_argv(image: str, full: Sequence[str]) -> list[str]:
    sleep = shutil.which("sleep")
    if sleep is None:
        raise UnsupportedCommand(image, full, "no `sleep` program on this machine")
    return [sleep, *full[1:]]


def _curl(image: str, full: Sequence[str]) -> Implementation:
    if full and full[0].rsplit("/", 1)[-1] == "sleep":
        return Implementation(image=image, kind="curl", argv=_sleep_argv(image, full))
    # The image's entrypoint is curl itself: run it once, as the container would.
    rest = full[1:] if full and full[0].rsplit("/", 1)[-1] == "curl" else full
    return Implementation(image=image, kind="curl", argv=[*_module("curl"), *rest])


def _fortio(image: str, pod_ip: str, full: Sequence[str]) -> Implementation:
    rest = list(full[1:]) if full and full[0].rsplit("/", 1)[-1] == "fortio" else list(full)
    if full and full[0].rsplit("/", 1)[-1] == "sleep":
        return Implementation(image=image, kind="fortio", argv=_sleep_argv(image, full))
    if not rest or rest[0] == "server":
        # The image's default command: fortio's echo server on 8080.
        extra = rest[1:]
        return Implementation(
            image=image,
            kind="fortio",
            argv=[*_module("fortio"), "server", "-http-port", f"{pod_ip}:8080", *extra],
            readiness=Readiness(8080),
        )
    return Implementation(image=image, kind="fortio", argv=[*_module("fortio"), *rest])


# Commands `exec` runs with this project's implementations, whatever the path they are named by.
EXEC_TOOLS = {"curl": "curl", "fortio": "fortio"}


def exec_argv(argv: Sequence[str]) -> list[str]:
    """The local argv for a command run "inside" a pod (`kubectl exec … -- ARGV`)."""
    if not argv:
        raise ValueError("exec needs a command")
    tool = EXEC_TOOLS.get(argv[0].rsplit("/", 1)[-1])
    if tool:
        return [*_module(tool), *argv[1:]]
    return list(argv)
