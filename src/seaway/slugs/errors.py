class BuildError(Exception):
    """The build cannot go on; the message says what was wrong and how to fix it."""
