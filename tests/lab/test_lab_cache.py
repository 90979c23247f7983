"""The lab's on-disk copy: used while its sources are unchanged, never for a changed or bad lab."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from istiotui.lab.cache import CODE, FILE_NAME, load_lab_cached
from istiotui.lab.errors import LoaderError
from istiotui.lab.loader import load_lab
from istiotui.lab.model import Text


@pytest.fixture
def lab_env(good_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ISTIOTUI_SCENARIOS", str(good_copy))
    monkeypatch.delenv("ISTIOTUI_ISTIO_MANIFESTS", raising=False)
    return good_copy


def _touch_later(path: Path) -> None:
    # A new modification time even on a filesystem with a coarse clock.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_the_copy_is_the_lab_the_loader_builds(lab_env: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_lab_cached(cache)
    assert (cache / FILE_NAME).is_file()
    again = load_lab_cached(cache)
    assert again == first == load_lab(lab_env)


def test_an_unchanged_lab_is_read_from_the_copy(lab_env: Path, tmp_path: Path) -> None:
    # Equal to a fresh load either way; only a copy marked by hand tells that it was the one read.
    cache = tmp_path / "cache"
    load_lab_cached(cache)
    key, lab = pickle.loads((cache / FILE_NAME).read_bytes())
    marked = dataclasses.replace(lab, title=Text(es="de la copia", en="from the copy"))
    (cache / FILE_NAME).write_bytes(pickle.dumps((key, marked)))
    assert load_lab_cached(cache).title.get("en") == "from the copy"


def test_a_changed_scenario_file_is_read_again(lab_env: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = load_lab_cached(cache)
    lab_yaml = lab_env / "lab.yaml"
    text = lab_yaml.read_text()
    title = before.title.get("en")
    assert title in text
    lab_yaml.write_text(text.replace(title, "A title changed on disk", 1))
    _touch_later(lab_yaml)
    after = load_lab_cached(cache)
    assert after.title.get("en") == "A title changed on disk"
    assert after == load_lab(lab_env)


def test_a_broken_lab_is_reported_and_never_stored(lab_env: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_lab_cached(cache)
    stored = (cache / FILE_NAME).read_bytes()
    lab_yaml = lab_env / "lab.yaml"
    lab_yaml.write_text(lab_yaml.read_text() + "\nnot_a_field: 1\n")
    _touch_later(lab_yaml)
    for _ in range(2):  # the second start says it again: no copy of a bad lab was kept
        with pytest.raises(LoaderError) as raised:
            load_lab_cached(cache)
        assert "lab.yaml" in str(raised.value)
    assert (cache / FILE_NAME).read_bytes() == stored


def test_an_unreadable_copy_is_replaced(lab_env: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE_NAME).write_bytes(b"not a pickle at all")
    assert load_lab_cached(cache) == load_lab(lab_env)
    assert load_lab_cached(cache) == load_lab(lab_env)
    assert (cache / FILE_NAME).read_bytes() != b"not a pickle at all"


def test_the_key_covers_all_the_code_the_loader_runs() -> None:
    # In a fresh interpreter: which istiotui modules loading the lab imports. Each must be under
    # a folder the key reads, or a change to it would keep an outdated copy in use. istiotui's
    # __init__ is its version (in the key) and settings only says where the lab is (its paths
    # are in the key).
    probe = (
        "import sys, istiotui.lab.loader\n"
        "for name, mod in sorted(sys.modules.items()):\n"
        "    if name.startswith('istiotui.') and name != 'istiotui.settings':\n"
        "        print(mod.__file__)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    files = [Path(line).resolve() for line in done.stdout.splitlines()]
    assert any(f.parent.name == "mesh" for f in files)  # the loader does use mesh's tables
    uncovered = [f for f in files if not any(f.is_relative_to(root) for root in CODE)]
    assert uncovered == []
