"""The benchmark's tables: per source for one run (printed at the end of a run), across scales from
`bench/results/*.json` (the generated part of docs/benchmark.md, between its markers)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.assets.previews import markdown_table
from sandbox.world import SCALES

BEGIN, END = "<!-- bench:results -->", "<!-- /bench:results -->"


def table(rows: list[dict]) -> str:
    """Rows (dicts with the same keys, in order) as a Markdown table."""
    if not rows:
        return ""
    con = duckdb.connect()
    try:
        con.register("report", pa.Table.from_pylist(rows))
        return markdown_table(con, "select * from report")
    finally:
        con.close()


def _r(value, digits: int = 1):
    return None if value is None else round(value, digits)


def per_source(result: dict) -> str:
    rows = []
    for name, s in result["sources"].items():
        ours, floor, base, inc = (s.get(k, {}) for k in ("ours", "floor", "baseline", "incremental"))
        rows.append({
            "source": name, "rows": ours.get("rows"), "ours s": _r(ours.get("seconds")),
            "ours rows/s": ours.get("rows_per_second"), "ours peak MB": _r(ours.get("peak_rss_mb"), 0),
            "floor s": _r(floor.get("seconds")), "ours / floor": _r(_div(ours.get("seconds"), floor.get("seconds")), 2),
            "baseline s": _r(base.get("seconds")), "baseline / ours": _r(_div(base.get("seconds"), ours.get("seconds")), 1),
            "incr s": _r(inc.get("seconds"), 2), "incr requests": inc.get("requests"), "incr rows": inc.get("rows_loaded"),
            "incr / backfill": _r(_div(inc.get("seconds"), ours.get("seconds")), 3),
        })
    rows.append({
        "source": "**total**", "rows": result["rows"], "ours s": _r(result["backfill_seconds"]),
        "ours rows/s": result["backfill_rows_per_second"], "ours peak MB": _r(result["peak_rss_mb"], 0),
        "floor s": _r(result["floor_backfill_seconds"]), "ours / floor": _r(result["ours_vs_floor"], 2),
        "baseline s": _r(result["baseline_backfill_seconds"]), "baseline / ours": _r(result["speedup_vs_baseline"], 1),
        "incr s": _r(result["incremental_seconds"], 2), "incr requests": result["incremental_requests"],
        "incr rows": result["incremental_rows"], "incr / backfill": _r(result["incremental_vs_backfill"], 3),
    })
    return table(rows)


def _div(a, b):
    return a / b if a is not None and b else None


def dagster_line(result: dict) -> str:
    d = result.get("dagster")
    if not d:
        return "Dagster run: skipped"
    if not d["success"]:
        return f"Dagster run (`penguin run` after one day) FAILED after {d['seconds']:.1f}s: {'; '.join(d['errors'])[:300]}"
    kinds = ", ".join(f"{k} {v:.1f}s" for k, v in sorted((d.get("steps_by_kind") or {}).items()))
    slowest = sorted((d.get("step_seconds") or {}).items(), key=lambda kv: -kv[1])[:4]
    return (f"Dagster run (`penguin run` after one day): {d['seconds']:.1f}s = start-up {d.get('startup_seconds', 0):.1f}s "
            f"+ run {d.get('run_seconds') or 0:.1f}s (steps: {kinds}; slowest: "
            f"{', '.join(f'{k} {v:.1f}s' for k, v in slowest)}); orchestration overhead "
            f"{result['orchestration_overhead_seconds']:.1f}s (the run − the incremental syncs, dbt build and publish "
            "measured alone − its other steps)")


def summary(result: dict) -> str:
    return "\n".join([
        f"dbt build{'' if result['dbt']['success'] else ' (FAILED: ' + ', '.join(result['dbt']['errors'])[:200] + ')'}: "
        f"{result['dbt_seconds']:.1f}s ({result['dbt']['models']} models, {result['dbt']['nodes']} nodes, "
        f"peak {result['dbt']['peak_rss_mb']:.0f} MB); publish: {result['publish_seconds']:.1f}s",
        dagster_line(result),
        f"sandbox: started in {result['sandbox']['start_seconds']:.1f}s, peak {result['sandbox'].get('peak_rss_mb') or 0:.0f} MB; "
        f"whole bench {result['bench_seconds']:.0f}s; load average {result['load_average']['before']} → "
        f"{result['load_average']['after']}",
    ])


def render(result: dict) -> str:
    """What a run prints when it ends."""
    return f"{per_source(result)}\n\n{summary(result)}"


def scaling(results: list[dict]) -> str:
    return table([{
        "scale": r["scale"], "rows": r["rows"], "backfill s": _r(r["backfill_seconds"]),
        "rows/s": r["backfill_rows_per_second"], "peak RSS MB": _r(r["peak_rss_mb"], 0),
        "incremental s": _r(r["incremental_seconds"], 2), "incr / backfill": _r(r["incremental_vs_backfill"], 3),
        "dbt s": _r(r["dbt_seconds"]), "Dagster run s": _r(r["dagster_seconds"]),
        "overhead s": _r(r["orchestration_overhead_seconds"]), "floor s": _r(r["floor_backfill_seconds"]),
        "ours / floor": _r(r["ours_vs_floor"], 2), "baseline s": _r(r["baseline_backfill_seconds"]),
        "baseline / ours": _r(r["speedup_vs_baseline"], 1), "sandbox start s": _r(r["sandbox"]["start_seconds"]),
    } for r in results])


def sandbox_pace(result: dict) -> str:
    return table([{"endpoint": name, "requests/s": e["requests_per_second"], "records/s": e["records_per_second"],
                   "KB/request": e["kb_per_request"]} for name, e in result["sandbox"].get("endpoints", {}).items()])


def load_results(directory: Path) -> list[dict]:
    order = list(SCALES)
    results = [json.loads(p.read_text()) for p in directory.glob("*.json")]
    return sorted(results, key=lambda r: order.index(r["scale"]) if r["scale"] in order else len(order))


def results_section(results: list[dict]) -> str:
    """The generated part of docs/benchmark.md."""
    parts = ["### Scaling", "", scaling(results)]
    for r in results:
        m = r["machine"]
        parts += ["", f"### {r['scale']} ({r['started_at']}, load average {r['load_average']['before']} → "
                      f"{r['load_average']['after']})", "", per_source(r), "", summary(r).replace("\n", "  \n"), "",
                  f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, Python {m['python']}; "
                  + ", ".join(f"{k} {v}" for k, v in m["versions"].items())]
    largest = next((r for r in reversed(results) if r["sandbox"].get("endpoints")), None)
    if largest:
        parts += ["", f"### Sandbox pace at {largest['scale']} (one client, one request at a time)", "",
                  sandbox_pace(largest)]
    return "\n".join(parts)


def update_docs(doc: Path, results_dir: Path) -> None:
    """Replaces the generated section of `doc` with the tables of every result in `results_dir`."""
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{doc} has no {BEGIN} … {END} section to fill")
    section = f"{BEGIN}\n{results_section(load_results(results_dir))}\n{END}"
    doc.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S))


if __name__ == "__main__":  # `python -m bench.report`: docs/benchmark.md's results from bench/results/*.json
    from bench.__main__ import RESULTS
    update_docs(Path(__file__).resolve().parents[1] / "docs" / "benchmark.md", RESULTS)
