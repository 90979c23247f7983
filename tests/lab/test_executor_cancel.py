"""A step's long waits end as soon as whoever runs them asks (the app, on quit)."""

from __future__ import annotations

import threading
import time

import pytest

from istiotui.cluster.connection import connect
from istiotui.cluster.objects import Objects
from istiotui.lab import model as m
from istiotui.lab.executor import Executor, StepFailed


def test_a_wait_stops_when_cancelled(start_local_cluster) -> None:
    cluster = start_local_cluster("executor-cancel", data_plane=False)
    connection = connect(str(cluster.kubeconfig), "istiotui-local")
    try:
        cancelled = threading.Event()
        ex = Executor(Objects(connection.api_client), "local", lambda _l: None, cancelled)
        never = m.Wait(
            "Pod", "default", "app=never", None, "ready", 120.0, m.Source("test.yaml", 7)
        )
        threading.Timer(0.5, cancelled.set).start()
        t0 = time.monotonic()
        with pytest.raises(StepFailed, match=r"test.yaml:7: waiting for app=never: cancelled"):
            ex.run([never])
        # Far below the wait's own 120 s: the cancel, not the timeout, ended it.
        assert time.monotonic() - t0 < 60
        with pytest.raises(StepFailed, match="cancelled"):
            ex.run([never])  # once cancelled, nothing more starts
    finally:
        connection.close()
