"""The control API under `/_sandbox`: clock, faults, request counts and ground truth.

  GET    /_sandbox/status                      seed, scale, fault profile, world clock
  POST   /_sandbox/advance?days=N&hours=&seconds=   move the clock forward
  GET    /_sandbox/faults                      active rules;  POST a rule (JSON, see faults.Rule)
  DELETE /_sandbox/faults                      clear every rule
  POST   /_sandbox/drift?vendor=stripe          start schema drift for a vendor
  GET    /_sandbox/stats[?reset=1]             requests served per vendor and endpoint
  GET    /_sandbox/truth                       the ground-truth tables, as source/table names
  GET    /_sandbox/truth/{source}/{table}      one table as JSON lines
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from sandbox.emulator import json_response
from sandbox.faults import TRANSPORT_KINDS, Rule
from sandbox.runtime import Sandbox
from sandbox.timeutil import iso
from sandbox.truth import jsonl_chunks


def control_routes(sb: Sandbox) -> list[Route]:
    def status_body() -> dict:
        w = sb.world
        return {"seed": w.seed, "scale": w.scale.name, "faults": sb.faults.profile, "now": iso(w.now),
                "now_epoch": w.now, "horizon": iso(w.horizon), "vendors": sorted(sb.by_name)}

    async def status(request: Request):
        return json_response(status_body())

    async def advance(request: Request):
        q = request.query_params
        try:
            seconds = round(float(q.get("days", 0)) * 86_400 + float(q.get("hours", 0)) * 3_600 + float(q.get("seconds", 0)))
            sb.advance(seconds)
        except ValueError as e:
            return json_response({"error": str(e)}, 400)
        return json_response(status_body())

    async def faults(request: Request):
        if request.method == "DELETE":
            sb.faults.clear()
        elif request.method == "POST":
            body = await request.json()
            try:
                rule = Rule(**body)
            except TypeError as e:
                return json_response({"error": f"bad fault rule: {e}"}, 400)
            if rule.vendor != "*" and rule.vendor not in sb.by_name:
                return json_response({"error": f"unknown vendor {rule.vendor!r}"}, 400)
            sb.faults.add(rule)
        return json_response({"profile": sb.faults.profile, "rules": sb.faults.rules(),
                              "transport_kinds": list(TRANSPORT_KINDS)})

    async def drift(request: Request):
        vendor = request.query_params.get("vendor", "")
        if vendor not in sb.by_name:
            return json_response({"error": f"unknown vendor {vendor!r}"}, 400)
        sb.start_drift(vendor)
        return json_response({"drift": {k: iso(v) for k, v in sb.drift.items()}})

    async def stats(request: Request):
        return json_response(sb.stats.snapshot(reset=request.query_params.get("reset") == "1"))

    async def truth_index(request: Request):
        return json_response({"tables": [f"{e.name}/{table}" for e in sb.emulators for table in e.truth()]})

    async def truth_table(request: Request):
        src, table = request.path_params["source"], request.path_params["table"]
        tables = sb.by_name[src].truth() if src in sb.by_name else {}
        if table not in tables:
            return json_response({"error": f"no truth table {src}/{table}"}, 404)
        return StreamingResponse(jsonl_chunks(tables[table]), media_type="application/x-ndjson")

    return [
        Route("/status", status),
        Route("/advance", advance, methods=["POST"]),
        Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/drift", drift, methods=["POST"]),
        Route("/stats", stats),
        Route("/truth", truth_index),
        Route("/truth/{source}/{table}", truth_table),
    ]
