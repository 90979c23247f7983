"""The one client layer over the kubernetes client: apply, dry run, delete, list, watch, logs."""
