"""Exceptions the CLI turns into exit codes: 2 for bad input or configuration, 1 for runtime."""


class BadInputError(Exception):
    """Bad input or configuration: exit 2 with this one-line message."""


class RuntimeFailureError(Exception):
    """Something outside the input failed (database, network): exit 1 with this message."""
