"""Async probe engine, the probes' commands and login, response classification, statistics and
vantages. Uses cluster."""
