"""A running pod's status as the kubelet writes it, from its containers' readiness."""

from __future__ import annotations

from istiotui.local.runtime import ContainerState


def _condition(prev: dict[str, dict], ctype: str, value: bool, now: str) -> dict:
    status = "True" if value else "False"
    old = prev.get(ctype)
    since = old["lastTransitionTime"] if old and old.get("status") == status else now
    return {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": since}


def pod_status_for(
    pod: dict,
    readiness: dict[str, bool],
    now: str,
    states: dict[str, ContainerState] | None = None,
) -> dict:
    """phase Running, one containerStatus per container (ready as the runtime says), conditions.

    `states` (from a runtime that restarts containers) gives a container's restart count, state
    and last state; a container not running is never ready.

    Timestamps only move when something changes, so writing the same status twice is a no-op.
    """
    old = pod.get("status") or {}
    prev_conds = {c["type"]: c for c in old.get("conditions") or []}
    prev_cs = {c["name"]: c for c in old.get("containerStatuses") or []}
    meta = pod["metadata"]
    statuses = []
    for c in pod["spec"].get("containers", []):
        name = c["name"]
        before = prev_cs.get(name, {})
        started = (before.get("state") or {}).get("running", {}).get("startedAt", now)
        statuses.append(
            {
                "name": name,
                "image": c.get("image", ""),
                "imageID": "",
                "containerID": f"istiotui://{meta['namespace']}/{meta['name']}/{name}",
                "ready": bool(readiness.get(name, False)),
                "started": name in readiness,
                "restartCount": int(before.get("restartCount", 0)),
                "state": {"running": {"startedAt": started}}
                if name in readiness
                else {"waiting": {"reason": "ContainerCreating"}},
            }
        )
        reported = (states or {}).get(name)
        if reported is not None:
            running = "running" in reported.state
            statuses[-1].update(
                ready=statuses[-1]["ready"] and running,
                started=running,
                restartCount=reported.restart_count,
                state=reported.state,
            )
            if reported.last_state:
                statuses[-1]["lastState"] = reported.last_state
    all_ready = bool(statuses) and all(s["ready"] for s in statuses)
    phase = "Running" if any(s["started"] for s in statuses) else "Pending"
    ended = [(s.get("state") or {}).get("terminated") for s in statuses]
    if (pod["spec"].get("restartPolicy") or "Always") != "Always" and ended and all(ended):
        # Every container ran to its end and none will be restarted (`kubectl run … -- curl`).
        phase = "Succeeded" if all(t.get("exitCode") == 0 for t in ended if t) else "Failed"
    status = {
        **{
            k: v
            for k, v in old.items()
            if k in ("podIP", "podIPs", "hostIP", "hostIPs", "startTime", "qosClass")
        },
        "phase": phase,
        "conditions": [
            _condition(prev_conds, "PodReadyToStartContainers", True, now),
            _condition(prev_conds, "Initialized", True, now),
            _condition(prev_conds, "Ready", all_ready, now),
            _condition(prev_conds, "ContainersReady", all_ready, now),
            _condition(prev_conds, "PodScheduled", True, now),
        ],
        "containerStatuses": statuses,
    }
    inits = pod["spec"].get("initContainers") or []
    if inits:
        # Init containers ran to completion when the pod started (istio-init's iptables rules
        # have nothing to do here): their times are the pod's start, never the zero time.
        began = old.get("startTime") or now
        prev_init = {c["name"]: c for c in old.get("initContainerStatuses") or []}
        status["initContainerStatuses"] = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "containerID": f"istiotui://{meta['namespace']}/{meta['name']}/{c['name']}",
                "ready": True,
                "restartCount": 0,
                "started": False,
                "state": (prev_init.get(c["name"]) or {}).get("state")
                or {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": began,
                        "finishedAt": began,
                        "containerID": f"istiotui://{meta['namespace']}/{meta['name']}/{c['name']}",
                    }
                },
            }
            for c in inits
        ]
    return status
