"""Seaway e2e sample: builds fine, but its release phase always fails."""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"release_fails should never be serving\n"]
