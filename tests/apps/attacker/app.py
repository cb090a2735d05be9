"""Seaway e2e sample: an app that attacks the others and the platform from its dynos.

Its web process answers "HIJACKED" to everything; `python3 attack.py ...` (in a one-off dyno) runs
one attack and prints what happened.
"""


def app(environ, start_response):
    data = b"HIJACKED\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]
