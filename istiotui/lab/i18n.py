"""The learner's language: `--lang es|en`, else the locale's, else English.

Also the few words the CLI and UI print around the lab's own texts.
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


_WORDS: dict[str, dict[Lang, str]] = {
    "section": {"es": "Sección", "en": "Section"},
    "step": {"es": "Paso", "en": "Step"},
    "commands": {"es": "Comandos", "en": "Commands"},
    "applies": {"es": "Aplica", "en": "Applies"},
    "cleanup": {"es": "Limpieza", "en": "Cleanup"},
    "probes": {"es": "Sondas", "en": "Probes"},
    "expect": {"es": "Comprobaciones", "en": "Checks"},
    "expected": {"es": "Resultado esperado", "en": "Expected result"},
    "requires": {"es": "Parte de", "en": "Starts from"},
    "where": {"es": "Dónde", "en": "Where"},
    "where.any": {"es": "cualquier clúster", "en": "any cluster"},
    "where.real": {"es": "solo clúster real", "en": "real cluster only"},
    "where.local": {"es": "solo clúster local", "en": "local cluster only"},
    "namespace": {"es": "namespace", "en": "namespace"},
    "nothing": {"es": "(nada)", "en": "(nothing)"},
    "unknown_step": {"es": "paso desconocido", "en": "unknown step"},
    "did_you_mean": {"es": "¿quisiste decir", "en": "did you mean"},
    "on_local": {"es": "en el clúster local", "en": "on the local cluster"},
    "by_hand": {"es": "a mano", "en": "by hand"},
    "on_host": {"es": "en tu máquina", "en": "on your machine"},
}


def word(key: str, lang: Lang) -> str:
    """One of the interface's own words in `lang`."""
    return _WORDS[key][lang]
