"""cli/: the `seaway` command, Heroku-style `topic:command` names talking to the daemon API."""
