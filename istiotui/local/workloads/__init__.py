"""The embedded local cluster's workloads: what a pod's container image runs on this machine.

Pods run as local processes on their own loopback pod IP. `images` maps a container image to an
implementation, `launcher` starts and stops those processes (and runs `exec` commands "inside" a
pod), `outbound` is how a workload's requests leave through its pod's sidecar. See
docs/workloads.md.
"""
