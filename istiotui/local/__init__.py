"""The embedded local cluster: API server, store, controller, pilot, Envoy supervisor, workloads."""
