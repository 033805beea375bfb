"""Errors that are the user's to fix (a config value, a file, a flag), not bugs: the CLI and the
workflow print their message in one line, never a traceback."""


class UserError(Exception):
    """A mistake the user can fix; its message says what is wrong and how to fix it."""


class ConfigError(UserError, ValueError):
    """A config value the schema refuses; the message names the key and what is allowed."""
