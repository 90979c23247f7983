"""The loaded lab kept on disk, so that the full-screen app's first frame does not wait for it.

Loading and checking `scenarios/` (YAML, schema, manifests) takes 30–50 ms; reading the checked
`Lab` back takes 2 ms. The copy is used only while nothing it was made from has changed: every
file under the scenarios and Istio manifests directories and the code the lab is built with (name,
size and modification time of each), istiotui's version and Python's. Anything else — no copy, a
stale or unreadable one, a directory that cannot be written — loads the lab as `load_lab` does,
with the same errors: an invalid lab is never stored, so it is reported on every start.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

import istiotui
from istiotui import settings
from istiotui.lab.model import Lab
from istiotui.lab.paths import istio_manifests_dir, scenarios_dir

_PACKAGE = Path(__file__).resolve().parent.parent
# The code a loaded Lab depends on: the loader, schema and model (lab/) and the mesh tables they
# check manifests and durations with (mesh/kinds, mesh/durations). A git pull that changes one
# of them keeps istiotui's version, so their files are part of the key.
CODE = (_PACKAGE / "lab", _PACKAGE / "mesh")
FILE_NAME = "lab.pickle"


def default_dir() -> Path:
    return settings.state_root() / "cache"


def load_lab_cached(cache_dir: Path | None = None) -> Lab:
    """The lab, from `cache_dir` (default: the state folder's) when its copy is current, else
    loaded (and stored there)."""
    cache_dir = default_dir() if cache_dir is None else cache_dir
    root = scenarios_dir().resolve()
    istio = istio_manifests_dir(root).resolve()
    key = fingerprint(root, istio)
    path = cache_dir / FILE_NAME
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError,
                             ImportError, TypeError, ValueError):  # fmt: skip
        stored_key, lab = pickle.loads(path.read_bytes())
        if stored_key == key and isinstance(lab, Lab):
            return lab
    from istiotui.lab.loader import load_lab  # YAML and the schema: only when loading

    lab = load_lab(root, istio_manifests=istio)
    with contextlib.suppress(OSError):
        _store(path, (key, lab))
    return lab


def fingerprint(*roots: Path) -> str:
    digest = hashlib.sha256(f"{istiotui.__version__} {sys.version}".encode())
    for root in (*roots, *CODE):
        for entry in sorted(_files(root)):
            digest.update(entry.encode())
    return digest.hexdigest()


def _files(root: Path) -> list[str]:
    out = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            out.append(f"{folder}\0missing")
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name != "__pycache__":
                    stack.append(Path(entry.path))
                continue
            stat = entry.stat()
            out.append(f"{entry.path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return out


def _store(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: two apps starting at once never read half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".lab-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
