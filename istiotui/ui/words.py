"""The interface's own words in both languages (the lab's texts come from the lab)."""

from __future__ import annotations

from istiotui.lab.model import Lang

_WORDS: dict[str, tuple[str, str]] = {
    "connecting": ("conectando…", "connecting…"),
    "offline": ("sin clúster", "no cluster"),
    "not_connected": ("sin conexión", "not connected"),
    "retry": ("r reintenta", "r retries"),
    "step": ("Paso", "Step"),
    "tree": ("Recursos", "Resources"),
    "diff": ("Cambios", "Diff"),
    "traffic": ("Tráfico", "Traffic"),
    "activity": ("Actividad", "Activity"),
    "outline": ("Índice", "Outline"),
    "no_diff": ("Pulsa d para ver qué cambiaría este paso.", "Press d: what the step changes."),
    "nothing_changes": ("Este paso no cambia ningún objeto.", "This step changes no objects."),
    "findings": ("Avisos del análisis", "Analysis findings"),
    "no_findings": ("Sin avisos del análisis.", "No analysis findings."),
    "apply_rejected": ("Aplicación rechazada", "Apply rejected"),
    "confirm_apply": ("¿Aplicar el paso {step}?", "Apply step {step}?"),
    "yes": ("Sí, aplicar", "Yes, apply"),
    "no": ("No", "No"),
    "no_probe": ("Este paso no tiene sondas.", "This step has no probes."),
    "no_rounds": ("Pulsa p para sondear o v para verificar.", "Press p to probe or v to verify."),
    "round": ("ronda", "round"),
    "share": ("% acumulado", "running %"),
    "requests": ("peticiones", "requests"),
    "latency": ("latencia (s)", "latency (s)"),
    "verdict": ("Veredicto", "Verdict"),
    "passed": ("superado", "passed"),
    "failed": ("fallido", "failed"),
    "forbidden": ("sin permiso", "forbidden"),
    "lost": ("clúster perdido", "cluster lost"),
    "filter": ("filtrar…", "filter…"),
    "help": ("Ayuda: teclas", "Help: keys"),
    "close": ("Esc cierra", "Esc closes"),
    "container": ("Contenedor", "Container"),
    "select_pod": ("Elige un pod en el árbol", "Select a pod in the tree"),
    "select_object": ("Elige un objeto en el árbol", "Select an object in the tree"),
    "needs_cluster": ("Hace falta un clúster conectado", "A connected cluster is needed"),
    "not_here": ("Este paso no se hace en este clúster", "This step does not run on this cluster"),
    "probing": ("sondeando", "probing"),
    "stopped": ("sondeo parado", "probing stopped"),
    "applied": ("aplicado", "applied"),
    "cleaned": ("limpiado", "cleaned up"),
    "caught_up": ("al día hasta", "caught up to"),
    "jump": ("Ir al paso", "Go to step"),
    "language": ("Idioma", "Language"),
    "catch_up": ("Ponerse al día hasta este paso", "Catch up to this step"),
}


def t(key: str, lang: Lang, **fields: object) -> str:
    es, en = _WORDS[key]
    text = es if lang == "es" else en
    return text.format(**fields) if fields else text
