"""`python -m bench --scale medium` (`make bench SCALE=medium`): the benchmark at one scale; writes
`<out>/<scale>.json`, prints the table, and with `--docs` refreshes docs/benchmark.md's results."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sandbox.world import SCALES

RESULTS = Path(__file__).resolve().parent / "results"
SKIPPABLE = ("baseline", "floor", "dagster", "probe")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="medium")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where <scale>.json goes (default bench/results)")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory, wiped first (default <out>/tmp/<scale>)")
    parser.add_argument("--skip", default="", help=f"comma-separated phases to leave out: {', '.join(SKIPPABLE)}")
    parser.add_argument("--docs", type=Path, default=None, help="a Markdown file whose results section to refresh")
    args = parser.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if unknown := skip - set(SKIPPABLE):
        parser.error(f"--skip: unknown phase(s) {', '.join(sorted(unknown))}; choose from {', '.join(SKIPPABLE)}")

    from bench.measure import PhaseFailed
    from bench.report import render, update_docs
    from bench.run import Bench
    from sandbox.client import SandboxUnreachable

    try:
        result = Bench(args.scale, args.seed, args.work or args.out / "tmp" / args.scale, skip).run()
    except (PhaseFailed, SandboxUnreachable) as e:
        print(str(e), file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.scale}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(render(result))
    print(f"results: {path}")
    if args.docs:
        update_docs(args.docs, args.out)
        print(f"refreshed {args.docs}")
    failed = [k for k in ("dbt", "dagster") if result.get(f"{k}_success") is False]
    for k in failed:
        print(f"bench: the {k} phase failed: {'; '.join(result[k]['errors'])[:1000]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
