"""Errors that are the user's to fix (a config value, a file, a flag), not bugs: the CLI and the
workflow print their message in one line, never a traceback."""


class UserError(ValueError):
    """Base of the errors whose message says what to fix; `nnbayes` prints it and exits 2."""


class ConfigError(UserError):
    """A config value the schema refuses; the message names the key and what is allowed."""


class DataError(UserError):
    """A file that is missing, damaged or not the one expected; the message names it and the fix."""
