"""`seaway run` from a terminal: a one-off dyno on a pseudo-terminal, wired to the client by a WebSocket.

Client → server: first a JSON text message {"command", "columns", "rows"}; then binary messages
(keystrokes) and JSON text messages {"resize": [columns, rows]}. Server → client: binary
messages (terminal output), then one JSON text message {"exit_code": N} or {"error": "..."}.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress

from fastapi import WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from seaway.api.streaming import USER_ERRORS
from seaway.dynos import Dyno
from seaway.platform import Platform


async def attach(platform: Platform, websocket: WebSocket, app: str) -> None:
    token = websocket.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not token or not platform.valid_token(token):
        await websocket.close(code=4401, reason="Invalid or missing API token")
        return
    await websocket.accept()
    request = await websocket.receive_json()
    loop = asyncio.get_running_loop()
    output: asyncio.Queue[str | None] = asyncio.Queue()
    size = (int(request.get("columns", 80)), int(request.get("rows", 24)))
    try:
        dyno = await run_in_threadpool(platform.run_attached, app, str(request["command"]), size,
                                       lambda chunk: loop.call_soon_threadsafe(output.put_nowait, chunk))
    except USER_ERRORS as error:
        await websocket.send_json({"error": str(error)})
        await websocket.close()
        return
    keys = asyncio.create_task(_forward_keys(websocket, dyno))
    exited = asyncio.ensure_future(loop.run_in_executor(None, dyno.wait))
    exited.add_done_callback(lambda _f: output.put_nowait(None))
    try:
        while (chunk := await output.get()) is not None:
            await websocket.send_bytes(chunk.encode())
        await websocket.send_json({"exit_code": exited.result()})
        await websocket.close()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        keys.cancel()
        if dyno.exit_code() is None:  # the client went away: so does its dyno
            await run_in_threadpool(dyno.stop, dyno.spec.stop_timeout)


async def _forward_keys(websocket: WebSocket, dyno: Dyno) -> None:
    """Keystrokes and resizes to the dyno's terminal; when the client goes away, the dyno is stopped."""
    with suppress(WebSocketDisconnect, OSError):
        while (message := await websocket.receive()).get("type") != "websocket.disconnect":
            if message.get("bytes"):
                dyno.write(message["bytes"])
            elif message.get("text"):
                resize = json.loads(message["text"]).get("resize")
                if resize:
                    dyno.resize(int(resize[0]), int(resize[1]))
    if dyno.exit_code() is None:
        await run_in_threadpool(dyno.stop, dyno.spec.stop_timeout)
