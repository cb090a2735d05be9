"""The router metrics' cost per router record, against router-record ingestion alone (bench/log_bench.py's).

Run from the repository root:  .venv/bin/python -m bench.metrics_bench [--records 500000] [--rounds 7]

Each round reads the same file of records in nginx's format (log_format seaway_router, with the time nginx
logged each request) through RouterLog into a LogStore, as the router log follower does when it finds a
backlog (log_bench.router_records): without an observer (the baseline) and with the metrics collector's
`on_records` (a fresh Metrics on a fresh store), twice each in the order A B B A. Times are the process's CPU
time, not the wall clock, so that other work on a shared machine disturbs them less. The records are a mix of
three apps, statuses (2xx to 5xx, H12, H14, H27) and service times from 1 ms to 2 s. `one minute`: every
record in the same minute, as nearly every batch the follower reads is; `across minutes`: half of each batch
in the next minute, the collector's slow path (it takes it for one batch a minute at most). Figures are medians
over the rounds; a ratio is the median of the rounds' ratios. The target: metrics add at most 10 % (≤ 1.10×).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.log_bench import RECORD, router_records
from seaway.metrics import Metrics
from seaway.router.logline import RECORD_FIELDS
from seaway.slugs.slug import remove_tree
from seaway.store import Store

MINUTE = 1_765_000_000 // 60 * 60  # a minute's start, Unix time
OUTCOMES = [("200", "")] * 80 + [("304", "")] * 8 + [("404", "")] * 6 + [("500", "")] * 2 + [("499", "")] * 2 + \
    [("503", "H12"), ("503", "H14")]


def sample(across: bool) -> tuple[str, ...]:
    """100 records made from log_bench's RECORD; `across`: the second half a minute later than the first."""
    pick = random.Random(7)
    base = dict(zip(RECORD_FIELDS, RECORD.rstrip("\n").split("\t"), strict=False))
    made = []
    for index, (status, code) in enumerate(OUTCOMES):
        app = ("bench", "bench-b", "bench-c")[index % 3]
        seconds = f"{min(2.0, pick.lognormvariate(-3.5, 1.2)):.3f}"
        values = base | {"app": app, "host": f"{app}.localhost", "status": status, "code": code,
                         "service": seconds, "request_time": seconds,
                         "msec": f"{MINUTE + (60 if across and index >= 50 else 0) + 10 + index / 1000:.3f}"}
        if code == "H14":
            values |= {"upstream": "", "connect": "-", "service": "-"}
        made.append("\t".join(values[name] for name in RECORD_FIELDS) + "\n")
    return tuple(made)


def with_metrics(folder: Path, records: int, records_sample: tuple[str, ...]) -> tuple[float, Metrics]:
    store = Store(folder / "metrics.db")
    metrics = Metrics(store, clock=lambda: MINUTE + 90.0)  # "now" just after the sample's minutes
    elapsed = router_records(folder, records, metrics.router.on_records, records_sample, clock=time.process_time)
    store.engine.dispose()
    return elapsed, metrics


def one_round(records: int, records_sample: tuple[str, ...]) -> tuple[float, float, Metrics]:
    """CPU seconds without and with the metrics (two runs each, A B B A), and the last run's metrics."""
    folder = Path(tempfile.mkdtemp(prefix="seaway-metrics-bench-"))
    try:
        plain, metered = 0.0, 0.0
        for index, kind in enumerate(("plain", "metrics", "metrics", "plain")):
            sub = folder / f"{index}-{kind}"
            sub.mkdir()
            if kind == "plain":
                plain += router_records(sub, records, None, records_sample, clock=time.process_time)
            else:
                elapsed, metrics = with_metrics(sub, records, records_sample)
                metered += elapsed
        return plain / 2, metered / 2, metrics
    finally:
        remove_tree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    records = args.records // 100 * 100
    rows = []
    for label, across in (("one minute", False), ("across minutes", True)):
        plain, metered, ratios = [], [], []
        for _ in range(args.rounds):
            base, with_it, metrics = one_round(records, sample(across))
            plain.append(base)
            metered.append(with_it)
            ratios.append(with_it / base)
        counted = sum(sum(value.requests.values()) for value in metrics.router.take(float("inf")).values())
        assert counted == records, f"the collector counted {counted} of {records} records"
        rows.append((label, plain, metered, ratios))
    print(f"## Router metrics: cost per router record ({time.strftime('%Y-%m-%d')})\n")
    print(f"```\n.venv/bin/python -m bench.metrics_bench --records {args.records} --rounds {args.rounds}\n```\n")
    print("| Records | without metrics, records/CPU-s | with metrics, records/CPU-s | with / without (CPU time) | per round |")
    print("|---|---|---|---|---|")
    for label, plain, metered, ratios in rows:
        print(f"| {label} | {records / statistics.median(plain):,.0f} | {records / statistics.median(metered):,.0f} | "
              f"**{statistics.median(ratios):.3f}×** | {', '.join(f'{r:.3f}' for r in ratios)} |")
    cost = {label: (statistics.median(m) - statistics.median(p)) / records * 1e9 for label, p, m, _r in rows}
    print(f"\nAdded per record: {cost['one minute']:.0f} ns (one minute), {cost['across minutes']:.0f} ns (across "
          f"minutes). Target: ≤ 1.10× ({'met' if statistics.median(rows[0][3]) <= 1.10 else 'missed'} for one "
          f"minute, {'met' if statistics.median(rows[1][3]) <= 1.10 else 'missed'} across minutes).")


if __name__ == "__main__":
    main()
