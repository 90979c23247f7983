"""One proxy's view of the shared Envoy's statistics, under Istio's names.

Every proxy's clusters and connection managers carry its id in front of Istio's name
(`cluster.<pod>.<ns>|outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_total`), so a
pod's `pilot-agent request GET stats` is the admin `/stats` text with the other proxies' lines
dropped and the id taken off its own.
"""

from __future__ import annotations

import re

# A statistic that belongs to one proxy: `<scope>.<proxy id>|<istio name>...`, at the start or
# inside a listener's statistics (`listener.<address>_<port>.http.<proxy id>|…`).
_SCOPED = re.compile(r"(?:^|\.)(?:cluster|http|tcp)\.([^|:\s]+)\|")


def proxy_stats(stats_text: str, proxy_id: str) -> str:
    """The lines of Envoy's `/stats` text that belong to `proxy_id` or to no proxy."""
    out = []
    for line in stats_text.splitlines():
        m = _SCOPED.search(line)
        if m is None:
            out.append(line)
        elif m.group(1) == proxy_id:
            out.append(line[: m.start(1)] + line[m.end() :])
    return "\n".join(out) + ("\n" if out else "")
