"""Seaway sample: a web process that dies before binding $PORT, importing a module the app forgot to
list in requirements.txt: the deploy's error must show the traceback, not only the exit status."""
import os

print(f"booting on port {os.environ['PORT']}", flush=True)
import flask_not_listed_anywhere  # noqa: E402,F401
