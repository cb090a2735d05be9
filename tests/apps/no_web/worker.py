"""Seaway e2e sample: a worker-only app with no web process."""
import time

print("worker started", flush=True)
while True:
    print("worker tick", flush=True)
    time.sleep(10)
