"""The Dagster UI serves the project: its GraphQL API shows the lineage raw → staging → mart for
every mart, and (where Chromium is installed) a screenshot of the lineage view is taken."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines.runner import SQLITE_INSTANCE_YAML
from tests.conftest import REPO
from tests.orchestration.chromium import Chromium

pytestmark = pytest.mark.slow
MART_SCHEMAS = ("finance", "customer_health", "attribution", "support")
QUERY = "{ assetNodes { assetKey { path } dependencyKeys { path } groupName } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(SQLITE_INSTANCE_YAML)
    port = _free_port()
    log = (home / "webserver.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "dagster-webserver"), "-w", "workspace.yaml",
                             "-h", "127.0.0.1", "-p", str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "DAGSTER_HOME": str(home)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while True:
        try:
            nodes = _graphql(url)
            if nodes:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"dagster-webserver did not serve the project:\n{(home / 'webserver.log').read_text()[-3000:]}")
        time.sleep(2)
    yield url
    proc.terminate()
    proc.wait(30)


def _graphql(url: str) -> list[dict]:
    req = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": QUERY}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["data"]["assetNodes"]


def test_lineage_runs_from_raw_through_staging_to_every_mart(webserver):
    nodes = {"/".join(n["assetKey"]["path"]): n for n in _graphql(webserver)}
    parents = {k: ["/".join(d["path"]) for d in n["dependencyKeys"]] for k, n in nodes.items()}

    def upstream(key, seen=None):
        seen = set() if seen is None else seen
        for p in parents.get(key, []):
            if p not in seen:
                seen.add(p)
                upstream(p, seen)
        return seen

    marts = [k for k in nodes if k.split("/")[0] in MART_SCHEMAS]
    assert marts
    for mart in marts:
        above = upstream(mart)
        assert any(k.startswith("staging/") for k in above), mart
        assert any(k.startswith("raw/") for k in above), mart
    for key in (k for k in nodes if k.startswith("staging/")):
        assert any(p.startswith("raw/") for p in parents[key]), key
        assert nodes[key]["groupName"] == "staging"
    assert {n["groupName"] for k, n in nodes.items() if k.startswith("raw/")} == {
        "raw_app", "raw_stripe", "raw_jira", "raw_hubspot", "raw_google"}
    assert "published/marts" in nodes and set(marts) <= set(parents["published/marts"])


def test_screenshot_of_the_lineage_view(webserver, tmp_path):
    """Evidence for people, not an assertion about Dagster: the upstream lineage of a key mart."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed on this machine")
    out = Path(os.environ.get("PENGUIN_SCREENSHOT_DIR", tmp_path)) / "lineage.png"
    marts = sorted(k for k in ("/".join(n["assetKey"]["path"]) for n in _graphql(webserver)) if k.split("/")[0] in MART_SCHEMAS)
    mart = "finance/fct_mrr_monthly" if "finance/fct_mrr_monthly" in marts else marts[0]
    browser = Chromium(executable, tmp_path / "profile")
    try:
        browser.open(f"{webserver}/assets/{mart}?view=lineage&lineageScope=upstream&lineageDepth=4", settle=8)
        browser.click_text("Skip")  # Dagster's community pop-up on a first visit
        time.sleep(2)
        browser.screenshot(out)
    finally:
        browser.close()
    assert out.stat().st_size > 10_000
