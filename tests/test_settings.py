"""The settings table: values read when asked, bad ones named, and the docs generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from istiotui import settings

ROOT = Path(__file__).resolve().parents[1]


def test_docs_are_generated_from_the_table() -> None:
    assert (ROOT / "docs" / "settings.md").read_text() == settings.markdown(), (
        "run: python -m istiotui.settings > docs/settings.md"
    )


def test_every_setting_the_code_names_is_in_the_table() -> None:
    import re

    named = set()
    for path in (ROOT / "istiotui").rglob("*.py"):
        named |= set(re.findall(r"ISTIOTUI_[A-Z_]+[A-Z]", path.read_text()))
    assert named <= {s.name for s in settings.ALL}, named - {s.name for s in settings.ALL}


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        (settings.API_PORT, "6443", 6443),
        (settings.LOCAL_BLOCK, "3", 3),
        (settings.LOCAL_DATA_PLANE, "0", False),
        (settings.LOCAL_BOOKMARK_SECONDS, "0.5", 0.5),
        (settings.LOCAL_ISTIO_VERSIONS, "v1beta1, v1alpha3", ("v1beta1", "v1alpha3")),
        (settings.STATE_DIR, "/s", Path("/s")),
    ],
)
def test_values_are_typed(setting: settings.Setting, value: str, expected: object) -> None:
    assert setting.get({setting.name: value}) == expected


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        (settings.API_PORT, "70000"),
        (settings.LOCAL_BLOCK, "12"),
        (settings.LOCAL_DATA_PLANE, "yes"),
        (settings.LOCAL_WATCH_HISTORY, "0"),
        (settings.LOCAL_BOOKMARK_SECONDS, "-1"),
    ],
)
def test_bad_values_are_named_with_the_variable(setting: settings.Setting, value: str) -> None:
    with pytest.raises(settings.SettingError, match=f"{setting.name}={value!r}"):
        setting.get({setting.name: value})
    with pytest.raises(settings.SettingError, match=setting.name):
        settings.check({setting.name: value})


def test_unset_means_the_default() -> None:
    assert settings.LOCAL_WATCH_HISTORY.get({}) == 5000
    assert settings.API_PORT.get({settings.API_PORT.name: ""}) is None


def test_one_state_root_for_the_cluster_and_progress() -> None:
    from istiotui.ui.learner_progress import progress_dir

    env = {"ISTIOTUI_STATE_DIR": "/s", "XDG_STATE_HOME": "/x"}
    assert settings.state_root(env) == Path("/s")
    assert progress_dir(env) == Path("/s/progress")
    assert settings.state_root({"XDG_STATE_HOME": "/x"}) == Path("/x/istiotui")
