"""Seaway e2e sample: a WebSocket echo server on $PORT (no HTTP framework)."""
import asyncio
import os

from websockets.asyncio.server import serve


async def echo(websocket):
    async for message in websocket:
        await websocket.send(f"echo from {os.environ.get('DYNO')}: {message}")


async def main():
    async with serve(echo, "0.0.0.0", int(os.environ["PORT"])):
        await asyncio.get_running_loop().create_future()


asyncio.run(main())
