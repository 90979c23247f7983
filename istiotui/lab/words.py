"""The interface's own words in both languages, around the lab's own texts: one table for the
CLI (`istiotui lab show`) and the app. `{field}`s are filled from keyword arguments.
"""

from __future__ import annotations

from istiotui.lab.model import Lang

_WORDS: dict[str, tuple[str, str]] = {  # key → (Spanish, English)
    # the lab as the CLI and the step view print it
    "section": ("Sección", "Section"),
    "commands": ("Comandos", "Commands"),
    "applies": ("Aplica", "Applies"),
    "cleanup": ("Limpieza", "Cleanup"),
    "probes": ("Sondas", "Probes"),
    "expect": ("Comprobaciones", "Checks"),
    "expected": ("Resultado esperado", "Expected result"),
    "requires": ("Parte de", "Starts from"),
    "where": ("Dónde", "Where"),
    "where.any": ("cualquier clúster", "any cluster"),
    "where.real": ("solo clúster real", "real cluster only"),
    "where.local": ("solo clúster local", "local cluster only"),
    "namespace": ("namespace", "namespace"),
    "nothing": ("(nada)", "(nothing)"),
    "unknown_step": ("paso desconocido", "unknown step"),
    "did_you_mean": ("¿quisiste decir", "did you mean"),
    "on_local": ("en el clúster local", "on the local cluster"),
    "by_hand": ("a mano", "by hand"),
    "on_host": ("en tu máquina", "on your machine"),
    # the app
    "connecting": ("conectando…", "connecting…"),
    "offline": ("sin clúster", "no cluster"),
    "no_istio": ("Istio sin instalar", "Istio not installed"),
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
    "copied": ("Comandos del paso copiados ({n} líneas)", "The step's commands copied ({n} lines)"),
    "copy_hint": ("`Y` los copia al portapapeles", "`Y` copies them to the clipboard"),
    "no_commands": ("Este paso no tiene comandos", "This step has no commands"),
    "search": ("Buscar (Enter; n/N: siguiente/anterior)", "Search (Enter; n/N: next/previous)"),
    "match": ("coincidencia {i} de {n}", "match {i} of {n}"),
    "no_match": ("Sin coincidencias: {text}", "No match: {text}"),
    "following": ("siguiendo el log", "following the log"),
    "viewer_keys": ("/ busca · n/N · Esc cierra", "/ searches · n/N · Esc closes"),
    "viewer_keys_log": (
        "/ busca · n/N · F sigue el log · Esc cierra",
        "/ searches · n/N · F follows the log · Esc closes",
    ),
    "select_pod": ("Elige un pod en el árbol", "Select a pod in the tree"),
    "select_object": ("Elige un objeto en el árbol", "Select an object in the tree"),
    "confirm_quit": (
        "Sigue en marcha: {work}. Si sales ahora se interrumpe a medias. ¿Salir?",
        "Still running: {work}. Quitting now stops it half-way. Quit?",
    ),
    "quit_yes": ("Sí, salir", "Yes, quit"),
    "work.apply_step": ("aplicar el paso", "applying the step"),
    "work.cleanup_step": ("limpiar el paso", "cleaning up the step"),
    "work.catch_up_to": ("ponerse al día", "catching up"),
    "work.vagrant": ("una acción de Vagrant", "a Vagrant action"),
    "reset_under_work": (
        "La conexión se reinició mientras esto corría; no se aplicó nada más",
        "The connection was reset while this ran; nothing more was applied",
    ),
    "needs_cluster": ("Hace falta un clúster conectado", "A connected cluster is needed"),
    "not_here": ("Este paso no se hace en este clúster", "This step does not run on this cluster"),
    "probing": ("sondeando", "probing"),
    "stopped": ("sondeo parado", "probing stopped"),
    "tunnel_open": ("port-forward abierto:", "port-forward open:"),
    "tunnel_closed": ("port-forward cerrado:", "port-forward closed:"),
    "applied": ("aplicado", "applied"),
    "cleaned": ("limpiado", "cleaned up"),
    "caught_up": ("al día hasta", "caught up to"),
    "jump": ("Ir al paso", "Go to step"),
    "language": ("Idioma", "Language"),
    "catch_up": ("Ponerse al día hasta este paso", "Catch up to this step"),
    # the Environment screen
    "env_title": ("Entorno", "Environment"),
    "env_target_one": ("sobre {machine}", "on {machine}"),
    "env_target_all": ("sobre todas las VMs", "on every VM"),
    "env_reading": ("leyendo vagrant status…", "reading vagrant status…"),
    "env_no_folder": ("sin Vagrantfile", "no Vagrantfile"),
    "env_col_vm": ("VM", "VM"),
    "env_col_state": ("Estado", "State"),
    "env_col_provider": ("Proveedor", "Provider"),
    "env_col_ip": ("IP", "IP"),
    "env_not_created": (
        "{machine} aún no está creada. U la crea y la arranca (vagrant up {machine}); la primera "
        "vez tarda 15–30 minutos.",
        "{machine} is not created yet. U creates and boots it (vagrant up {machine}); the first "
        "time takes 15–30 minutes.",
    ),
    "env_stopped": (
        "{machine} está parada ({state}). U la arranca.",
        "{machine} is stopped ({state}). U starts it.",
    ),
    "env_unknown": (
        "Estado de {machine} desconocido: Vagrant no contestó (ver arriba).",
        "{machine}'s state is unknown: Vagrant did not answer (see above).",
    ),
    "env_other": ("{machine}: {state}.", "{machine}: {state}."),
    "env_ssh_reading": (
        "leyendo vagrant ssh-config {machine}…",
        "reading vagrant ssh-config {machine}…",
    ),
    "env_mobaxterm": (
        "MobaXterm: Session → SSH con estos datos; usuario y contraseña: vagrant. s copia el "
        "comando ssh.",
        "MobaXterm: Session → SSH with these details; user and password: vagrant. s copies the "
        "ssh command.",
    ),
    "env_copied": ("Copiado: {command}", "Copied: {command}"),
    "env_no_ssh": (
        "{machine} no está en marcha: no hay datos SSH.",
        "{machine} is not running: no SSH details.",
    ),
    "env_busy": (
        "Ya hay una acción en curso: x la cancela.",
        "An action is running: x cancels it.",
    ),
    "env_nothing": ("No hay ninguna acción en curso.", "No action is running."),
    "env_no_machine": ("No hay ninguna VM que elegir.", "There is no VM to choose."),
    "env_confirm_up": (
        "¿Ejecutar vagrant up{args}? Crea y arranca {what}: la primera vez, 15–30 minutos y "
        "~1 GB de descarga.",
        "Run vagrant up{args}? It creates and boots {what}: the first time takes 15–30 minutes "
        "and a ~1 GB download.",
    ),
    "env_confirm_halt": (
        "¿Ejecutar vagrant halt{args}? Apaga {what}: el clúster deja de responder.",
        "Run vagrant halt{args}? It shuts down {what}: the cluster stops answering.",
    ),
    "env_yes": ("Sí", "Yes"),
    "env_running": ("{command}: {phase}", "{command}: {phase}"),
    "env_cancelling": (
        "cancelando (Vagrant termina su paso)…",
        "cancelling (Vagrant finishes its step)…",
    ),
    # Windows: no Ctrl-C can reach Vagrant's own process group, only Ctrl-Break and taskkill.
    "env_cancelling_now": (
        "cancelando: en Windows Vagrant se detiene sin terminar su paso; repite la acción "
        "para completarla…",
        "cancelling: on Windows Vagrant stops without finishing its step; run the action again "
        "to complete it…",
    ),
    "env_done": ("{command}: terminado", "{command}: finished"),
    "env_failed": ("{command}: falló: {error}", "{command}: failed: {error}"),
    "env_cancelled": ("{command}: cancelado", "{command}: cancelled"),
    "env_all": ("todas las VMs", "every VM"),
    "env_idle": ("Sin acciones en curso.", "No action running."),
    # the session's notes (lab.session.Note; the CLI prints their English text)
    "note.started": (
        "clúster local arrancado en {url}; sigue en marcha — páralo con `istiotui local down`",
        "started the local cluster at {url}; it keeps running — stop it with `istiotui local down`",
    ),
    "note.fallback": (
        "{reason}: se usa el clúster local en su lugar",
        "{reason}: using the local cluster instead",
    ),
    # where the traffic graph's numbers came from (mesh.traffic_graph.Graph.source_key)
    "source.admin": (
        "la interfaz admin del Envoy local, por sidecar",
        "the local Envoy's admin, per sidecar",
    ),
    "source.exec": (
        "cada istio-proxy por exec (istio_requests_total, si no las estadísticas de Envoy)",
        "each istio-proxy through exec (istio_requests_total, else Envoy cluster stats)",
    ),
    "source.exec_istio": (
        "istio_requests_total de cada proxy (exec: pilot-agent request GET stats/prometheus)",
        "istio_requests_total of each proxy (exec: pilot-agent request GET stats/prometheus)",
    ),
    "source.exec_envoy": (
        "estadísticas de clúster de Envoy de cada proxy (exec: pilot-agent request GET stats, "
        "clusters)",
        "Envoy cluster stats of each proxy (exec: pilot-agent request GET stats, clusters)",
    ),
    "source.exec_both": (
        "istio_requests_total de {istio} proxies, estadísticas de clúster de Envoy de {envoy} "
        "(exec en cada istio-proxy)",
        "istio_requests_total of {istio} proxies, Envoy cluster stats of {envoy} "
        "(exec in each istio-proxy)",
    ),
    "source.prometheus": (
        "istio_requests_total de Prometheus ({where})",
        "istio_requests_total from Prometheus ({where})",
    ),
    # the graph view's columns (the CLI's `graph -o table` keeps its English headers)
    "col.edge": ("ARISTA", "EDGE"),
    "col.flags": ("MARCAS", "FLAGS"),
}


def word(key: str, lang: Lang, **fields: object) -> str:
    """One of the interface's own words in `lang`."""
    es, en = _WORDS[key]
    text = es if lang == "es" else en
    return text.format(**fields) if fields else text
