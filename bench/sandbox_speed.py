"""How fast the sandbox serves: each endpoint of the floor paged alone, one request at a time over
one keep-alive connection (Gmail's `messages.get` with the source's 8 threads), for a few seconds
or until it ends. Requests/s here is the sandbox's pace plus a minimal client's; the sandbox is not
the bottleneck of a sync while this stays well above what the sync asks of it."""
from __future__ import annotations

import time
from typing import Mapping

from bench.floor import ENDPOINTS

SECONDS_PER_ENDPOINT = 2.0


def probe(env: Mapping[str, str], budget: float = SECONDS_PER_ENDPOINT) -> dict:
    """Per endpoint: requests, records, requests/s, records/s and KB per request."""
    out = {}
    for source, endpoints_of in ENDPOINTS.items():
        http, endpoints = endpoints_of(env)
        for name, pages in endpoints.items():
            requests, size, records = http.requests, http.bytes, 0
            started = time.perf_counter()
            for _, page in pages():
                records += len(page)
                if time.perf_counter() - started > budget:
                    break
            seconds = time.perf_counter() - started
            n = http.requests - requests
            out[name] = {"requests": n, "records": records, "seconds": round(seconds, 3),
                         "requests_per_second": round(n / seconds, 1), "records_per_second": round(records / seconds),
                         "kb_per_request": round((http.bytes - size) / max(n, 1) / 1024, 1)}
    return out
