"""Errors that are the user's to fix (a config value, a file), not bugs: the CLI and the workflow
print their message in one line, never a traceback."""


class ConfigError(ValueError):
    """A config value the schema refuses; the message names the key and what is allowed."""
