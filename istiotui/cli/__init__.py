"""Command-line entry points: one module per subcommand, each with a `register(subparsers)`.

Uses anything below ui; `tui` is the one that starts the app."""
