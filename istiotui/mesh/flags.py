"""Envoy's response flags in plain words, for logs and verdicts."""

from __future__ import annotations

import re

# flag → (es, en)
FLAGS: dict[str, tuple[str, str]] = {
    "UH": (
        "sin upstream sano: ningún pod del destino está disponible (o todos expulsados): 503",
        "no healthy upstream: no pod of the destination is available (or all ejected): 503",
    ),
    "UF": (
        "fallo al conectar con el upstream: el pod no aceptó la conexión: 503",
        "upstream connection failure: the pod did not accept the connection: 503",
    ),
    "UO": (
        "desbordamiento: el circuit breaker rechazó la petición por exceso de conexiones o "
        "peticiones pendientes: 503",
        "overflow: the circuit breaker turned the request away (too many connections or pending "
        "requests): 503",
    ),
    "NR": (
        "sin ruta: ninguna regla coincide con el host o la ruta de la petición: 404",
        "no route: no rule matches the request's host or path: 404",
    ),
    "URX": (
        "reintentos agotados: se probaron todos los reintentos permitidos y todos fallaron",
        "retries exhausted: every allowed retry was tried and failed",
    ),
    "UT": (
        "timeout del upstream: el destino no respondió dentro del timeout de la ruta: 504",
        "upstream timeout: the destination did not answer within the route's timeout: 504",
    ),
    "DI": (
        "retraso inyectado: una regla de fault injection retuvo la petición a propósito",
        "delay injected: a fault-injection rule held the request on purpose",
    ),
    "FI": (
        "fallo inyectado: una regla de fault injection respondió con un error a propósito",
        "fault injected: a fault-injection rule answered with an error on purpose",
    ),
    "NC": (
        "sin clúster: la ruta lleva a un clúster que no existe (¿subset sin DestinationRule?): 503",
        "no cluster: the route leads to a cluster that does not exist (a subset with no "
        "DestinationRule?): 503",
    ),
    "UC": (
        "el upstream cerró la conexión: 503",
        "upstream connection terminated: 503",
    ),
    "DC": (
        "el cliente cerró la conexión antes de la respuesta",
        "downstream connection terminated before the response",
    ),
}

_FLAG_FIELD = re.compile(r'" (\d{3}|-) ([A-Z,]+|-) ')


def explain(flag: str, lang: str = "en") -> str:
    """`UO,URX` → one explanation per flag; unknown flags are named as such."""
    parts = []
    for one in flag.split(","):
        words = FLAGS.get(one)
        if words is None:
            parts.append(f"{one}: " + ("señal desconocida" if lang == "es" else "unknown flag"))
        else:
            parts.append(f"{one}: {words[0] if lang == 'es' else words[1]}")
    return "; ".join(parts)


def flags_in_access_log_line(line: str) -> list[str]:
    """The response flags of one line in Istio's default access-log format, if any."""
    match = _FLAG_FIELD.search(line)
    if not match or match.group(2) == "-":
        return []
    return match.group(2).split(",")
