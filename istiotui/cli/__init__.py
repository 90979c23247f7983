"""Command-line entry points: one module per subcommand, each with a `register(subparsers)`."""
