"""Textual app, screens and widgets. Uses lab, cluster and traffic; never the kubernetes client directly."""
