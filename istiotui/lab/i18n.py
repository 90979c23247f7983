"""The learner's language: `--lang es|en`, else the locale's, else English.

The words the CLI and the app print in it are in lab/words.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from istiotui.lab.model import LANGS, Lang

DEFAULT_LANG: Lang = "en"


def lang_from_env(env: Mapping[str, str] | None = None) -> Lang:
    """es when the locale for messages is Spanish (`es`, `es_ES.UTF-8`, …), else en.

    POSIX precedence: LC_ALL overrides LC_MESSAGES, which overrides LANG; the
    first one that is set and not empty decides.
    """
    env = os.environ if env is None else env
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "es" if value.lower().startswith("es") else "en"
    return DEFAULT_LANG


def choose_lang(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Lang:
    """The `--lang` value when given (validated), else the environment's."""
    if explicit:
        if explicit not in LANGS:
            raise ValueError(f"unknown language {explicit!r}: use es or en")
        return explicit  # type: ignore[return-value]
    return lang_from_env(env)
