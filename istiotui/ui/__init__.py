"""Textual app, screens and widgets; uses lab, cluster and traffic, never the kubernetes client."""
