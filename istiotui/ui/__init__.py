"""Textual app, screens and widgets, and the learner's progress; uses lab, cluster, traffic, mesh
and vms, never the kubernetes client itself."""
