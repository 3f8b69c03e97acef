#!/usr/bin/env python3
"""What `migrated_database` costs per test, against migrating from scratch.

Usage (from the repository root, with rung installed in .venv):

    .venv/bin/python bench/plugin.py                         # PostgreSQL, N=500, 20 tests
    .venv/bin/python bench/plugin.py --url sqlite:///tmp/b.db --n 100 --tests 10

It writes N migrations (table t_i with an index and a foreign key to t_{i-1}, see
_gen.py), then:
  from scratch   `Migrator.up()` of all N on a fresh database (median of --repeat runs);
  per test       a pytest run of --tests tests that each take `migrated_database` and
                 then work for --work seconds: the setup and teardown of each test (the
                 wait for its copy of the template, the drop), median; the first test's
                 setup, which also migrates the template, is shown apart. Copies are made
                 one ahead while a test runs, so with --work 0 a test waits for a whole
                 copy, and with --work longer than a copy takes, for almost nothing.
Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _gen import down_statements, up_statements

from rung import Migrator
from rung.config import parse_url
from rung.dialects import dialect_for

CONFTEST = """
import json, os

def pytest_runtest_logreport(report):
    with open(os.environ["RUNG_BENCH_OUT"], "a") as out:
        out.write(json.dumps([report.nodeid, report.when, report.duration]) + "\\n")
"""

TEST = """
def test_{i}(migrated_database):
    time.sleep({work})  # the test's own work, while the next copy is made
    assert migrated_database
"""


def write_migrations(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        up = ";\n".join(up_statements(i))
        down = ";\n".join(down_statements(i))
        text = f"-- rung:up\n{up};\n\n-- rung:down\n{down};\n"
        (folder / f"{i:04d}_t_{i}.sql").write_text(text, encoding="utf-8")


def from_scratch(url: str, folder: Path, repeat: int) -> list[float]:
    admin = dialect_for(parse_url(url))
    times = []
    for _ in range(repeat):
        name = "rung_bench_" + uuid.uuid4().hex[:12]
        scratch = admin.create_database(name).text
        try:
            start = time.perf_counter()
            Migrator(scratch, folder).up()
            times.append(time.perf_counter() - start)
        finally:
            admin.drop_database(name)
    return times


def per_test(url: str, project: Path, tests: int, work: float) -> tuple[float, list[float]]:
    (project / "conftest.py").write_text(CONFTEST)
    body = "import time\n" + "".join(TEST.format(i=i, work=work) for i in range(tests))
    (project / "test_bench.py").write_text(body)
    out = project / "durations.jsonl"
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    argv += ["--rung-database-url", url, "--rung-migrations", str(project / "migrations")]
    env = {**os.environ, "RUNG_BENCH_OUT": str(out)}
    subprocess.run(argv, cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
    phases: dict[str, dict[str, float]] = {}
    for line in out.read_text().splitlines():
        nodeid, when, duration = json.loads(line)
        phases.setdefault(nodeid, {})[when] = duration
    ordered = [phases[f"test_bench.py::test_{i}"] for i in range(tests)]
    first = ordered[0]["setup"]
    # Teardown of the last test also drops the session template: leave it out.
    costs = [p["setup"] + p["teardown"] for p in ordered[1:-1]]
    return first, costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=float, default=0.0, help="seconds each test works")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rung-bench-") as tmp:
        project = Path(tmp)
        write_migrations(project / "migrations", args.n)
        scratch = from_scratch(args.url, project / "migrations", args.repeat)
        first, costs = per_test(args.url, project, args.tests, args.work)
    median = statistics.median(costs)
    print(f"{args.n} migrations on {parse_url(args.url).redacted}; tests work {args.work} s")
    scratch_median = statistics.median(scratch)
    print(f"from scratch (Migrator.up, median of {args.repeat}): {scratch_median:.3f} s")
    print(f"first test's setup (migrates the template once):    {first:.3f} s")
    print(
        f"per test with migrated_database (median of {len(costs)}):   {median * 1000:.1f} ms"
        f"  (min {min(costs) * 1000:.1f}, max {max(costs) * 1000:.1f})"
    )
    print(f"speed-up per test: {scratch_median / median:.0f}x")


if __name__ == "__main__":
    main()
