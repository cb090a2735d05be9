"""A worker: reports its environment, then ticks. WORKER_CRASH=boot exits at once; WORKER_CRASH=N after N s."""
import os
import sys
import time

print(f"worker {os.environ.get('DYNO')} up, PORT={os.environ.get('PORT')}", flush=True)
crash = os.environ.get("WORKER_CRASH", "")
if crash == "boot":
    print("worker crashing at boot", flush=True)
    sys.exit(3)
started = time.monotonic()
while True:
    if crash and crash != "boot" and time.monotonic() - started > float(crash):
        print("worker crashing after running a while", flush=True)
        sys.exit(4)
    time.sleep(0.2)
