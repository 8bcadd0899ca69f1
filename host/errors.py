"""The one exception type for user errors."""


class CommandError(Exception):
    """A user error: printed as `host: <message>`, exit status 1, no traceback."""
