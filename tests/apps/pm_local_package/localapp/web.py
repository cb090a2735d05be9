import envprobe


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"localapp from {__file__} with {envprobe.describe()}\n".encode()]
