"""What the user asked for was refused: one family of errors whose message says what was wrong and how
to fix it. Which kind a refusal is (not found, conflicting with the app's state now, invalid as given,
a service the platform relies on failing) is said here; what that is in HTTP is api/'s business.

Stage errors (BuildError, ReleaseFailed, ...) stay their own types: they say which stage failed."""


class UserError(Exception):
    """A request refused; the message is meant for the user."""


class NotFound(UserError):
    """No such app, release, add-on, backup, domain, ..."""


class Conflict(UserError):
    """Not possible in the state things are in now (a taken name, a running build, a failed backup)."""


class Invalid(UserError):
    """Never possible as given (a bad name, a value out of range); the message says what is allowed."""


class Unavailable(UserError):
    """Something the operation relies on failed (the app's migration probe, its database server)."""


class Misconfigured(UserError):
    """The platform's own settings are wrong; the operator has to fix them."""


__all__ = ["Conflict", "Invalid", "Misconfigured", "NotFound", "Unavailable", "UserError"]
