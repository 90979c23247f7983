"""Async probe engine, response classification, statistics and vantages."""
