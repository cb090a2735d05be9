"""A worker process that app.json's formation asks for."""
import time

print("worker up", flush=True)
while True:
    time.sleep(1)
