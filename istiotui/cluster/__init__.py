"""The one client layer over the kubernetes client: apply, dry run, diff, delete, list, watch, logs."""
