"""Seaway e2e sample: a web process that never binds $PORT."""
import time

print("booting", flush=True)
while True:
    time.sleep(3600)
