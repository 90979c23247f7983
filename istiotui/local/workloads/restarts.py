"""The kubelet's restart rules for crashed containers: back-off, exit reasons, restart policy.

Back-off follows the kubelet's per-container rule: the first crash is restarted at once and
starts a back-off of `initial` seconds; every later crash waits the current back-off (counted
from the moment the container exited), then doubles it, up to `cap`. A container that ran longer
than twice the cap since its last restart starts over. The kubelet's values are 10 s and 300 s;
the local cluster keeps 10 s and the doubling and caps at 80 s (10, 20, 40, 80, 80, …), so a
learner watching `kubectl get pods -w` sees the shape without waiting five minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INITIAL_BACKOFF = 10.0
MAX_BACKOFF = 80.0


@dataclass
class _Entry:
    backoff: float
    last_update: float


@dataclass
class BackOff:
    initial: float = INITIAL_BACKOFF
    cap: float = MAX_BACKOFF
    _entries: dict[str, _Entry] = field(default_factory=dict)
    # Every wait decided, in order: (container key, seconds). What the tests read.
    schedule: list[tuple[str, float]] = field(default_factory=list)

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.last_update > 2 * self.cap

    def wait_after_exit(self, key: str, exited_at: float, now: float) -> float:
        """Seconds still to wait before restarting `key`, which exited at `exited_at` (0: at
        once). Recorded in `schedule`."""
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, exited_at):
            delay = 0.0
        else:
            delay = max(0.0, exited_at + entry.backoff - now)
        self.schedule.append((key, entry.backoff if entry and delay else 0.0))
        return delay

    def current(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry.backoff if entry else self.initial

    def restarted(self, key: str, now: float) -> None:
        """A restart happened: the next crash waits the doubled back-off (or `initial` anew)."""
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, now):
            self._entries[key] = _Entry(self.initial, now)
        else:
            entry.backoff = min(entry.backoff * 2, self.cap)
            entry.last_update = now

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


def exit_code(returncode: int | None) -> int:
    """A process's exit as the container runtime reports it: killed by signal N → 128+N."""
    if returncode is None:
        return 0
    return 128 - returncode if returncode < 0 else returncode


def terminated(code: int, started_at: str, finished_at: str, container_id: str) -> dict:
    return {
        "terminated": {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": started_at,
            "finishedAt": finished_at,
            "containerID": container_id,
        }
    }


def restarts(policy: str | None, code: int) -> bool:
    """Whether the pod's restartPolicy restarts a container that exited with `code`."""
    policy = policy or "Always"
    return policy == "Always" or (policy == "OnFailure" and code != 0)


def backoff_message(seconds: float, container: str, pod: str, namespace: str, uid: str) -> str:
    """containerStatuses[].state.waiting.message while in CrashLoopBackOff, in kubelet's words."""
    return (
        f"back-off {_duration(seconds)} restarting failed container={container} "
        f"pod={pod}_{namespace}({uid})"
    )


def backoff_event(container: str, pod: str, namespace: str, uid: str) -> str:
    """The BackOff event's message, in kubelet's words."""
    return f"Back-off restarting failed container {container} in pod {pod}_{namespace}({uid})"


def _duration(seconds: float) -> str:
    # Go's time.Duration format, as kubelet prints it: 10s, 1m20s, 5m0s.
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"
