"""Router bench sample: the smallest ASGI app, no framework. Every request gets the same short body."""

BODY = b"hello from uvicorn\n"
HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
