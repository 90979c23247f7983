"""Access logs read by a learner: the response flags in them, explained in plain words."""

from __future__ import annotations

from collections import Counter

from istiotui.mesh.flags import explain, flags_in_access_log_line


def flag_notes(text: str, lang: str = "en") -> list[str]:
    """One line per response flag that appears in the log: `UO ×3 — overflow: …`."""
    counts = Counter(f for line in text.splitlines() for f in flags_in_access_log_line(line))
    return [f"{name} ×{n} — {explain(name, lang)}" for name, n in sorted(counts.items())]


def with_flag_notes(text: str, lang: str = "en") -> str:
    notes = flag_notes(text, lang)
    if not notes:
        return text
    title = "Señales de respuesta en este log:" if lang == "es" else "Response flags in this log:"
    return "\n".join([text.rstrip("\n"), "", title, *(f"  {n}" for n in notes)])
