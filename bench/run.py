#!/usr/bin/env python3
"""Benchmark rung against the floor (one client, one transaction) and peer tools.

Usage (from the repository root; stdlib only, any Python 3.11+):

    python3 bench/run.py                                  # N=1000, repeat 5, everything
    python3 bench/run.py --n 50 --repeat 2                # a quick check
    python3 bench/run.py --db sqlite --tools rung,floor --scenarios apply,rollback

It generates N migrations (table t_i with an integer primary key, a few columns, an
index, a foreign key to t_{i-1}, and one INSERT of 10 rows; the down drops t_i) in
the format of each tool, then for each database and each repetition runs every
scenario with the tools in round-robin order (the first tool moves one place each
repetition), all on the same server, and prints a Markdown table per database and
scenario: median wall-clock seconds of the whole command (process start included)
and the ratio to the floor (to the fastest peer where there is no floor).

Scenarios:
  apply     all N from an empty database (a fresh one per run): rung (a transaction
            per migration), rung-1tx (`up --single-transaction`), floor, floor-tx
            (the floor with BEGIN/COMMIT around each migration), alembic, yoyo, dbmate
  noop      `up` again with everything applied: rung, alembic, yoyo, dbmate
  status    status with everything applied: rung status, alembic history
            --indicate-current, yoyo list, dbmate status
  rollback  roll back all: rung down --all, floor (the downs concatenated in
            reverse, one transaction), floor-tx (a transaction per down), alembic
            downgrade base, yoyo rollback --all, dbmate rollback once per migration,
            one process each (only for N <= --dbmate-rollback-max)
  memory    peak RSS (max resident set) of rung and the others for one apply of
            all N to a fresh database and one status, each run under GNU time
            (/usr/bin/time -f %M) after the timed runs

Each run is checked afterwards (N t_* tables, 10 rows in t_N, the tool's history
table; none after a rollback): a tool that fails or leaves the wrong state is
reported as FAILED with the reason, drops out of that scenario, and the script
exits with status 1. The peers are installed on first run into bench/.work/venv
(pip, bench/requirements.txt) and bench/.work/node_modules (npm, bench/package.json);
raw timings go to bench/.work/results/<time>.json next to the Markdown report.

Helpers beside this file: _gen.py writes the migrations in each tool's format,
_targets.py knows the databases and the tools, _report.py writes the report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _gen  # noqa: E402
import _report  # noqa: E402
import _targets as tg  # noqa: E402

BENCH = Path(__file__).resolve().parent
TIME_BIN = "/usr/bin/time"  # GNU time, for the memory runs
TOOLS = {
    t.name: t
    for t in (
        tg.Rung,
        tg.RungSingleTx,
        tg.Floor,
        tg.FloorPerMigration,
        tg.Alembic,
        tg.Yoyo,
        tg.Dbmate,
    )
}
PEERS = tg.PEERS
SCENARIOS = _report.SCENARIOS
TIMED = ("apply", "noop", "status", "rollback")


def run_cmds(
    cmds: list[tg.Cmd], log: Path, timeout: float, rss_file: Path | None = None
) -> tuple[float, int | None, str | None]:
    """Run the commands one after the other; (wall seconds, max RSS KiB, error).

    The RSS is measured only when rss_file is given, through GNU time: the
    rusage of a child forked from this Python process would report this
    process's own peak (Linux carries the pre-exec peak over), so timed runs
    go without the wrapper and memory runs are separate.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    rss, err = None, None
    with log.open("w") as out:
        start = time.perf_counter()
        for cmd in cmds:
            argv = cmd.argv
            if rss_file:
                argv = [TIME_BIN, "-o", str(rss_file), "-f", "%M", *argv]
            stdin = cmd.stdin.open("rb") if cmd.stdin else subprocess.DEVNULL
            try:
                # Its own process group, so that a timeout also ends what it started.
                p = subprocess.Popen(
                    argv, stdin=stdin, stdout=out, stderr=out, start_new_session=True
                )
            except OSError as e:
                err = f"cannot start {argv[0]}: {e}"
                break
            finally:
                if cmd.stdin:
                    stdin.close()
            # A blocking wait: Popen.wait(timeout) polls with sleeps of up to 50 ms,
            # which would round every timing up. The timeout is a timer thread instead.
            killed = []
            timer = threading.Timer(timeout, _kill_group, (p.pid, killed))
            timer.start()
            p.wait()
            timer.cancel()
            if killed:
                err = f"killed after {timeout:.0f} s: {_tail(log)}"
                break
            if p.returncode != 0:
                err = f"exit {p.returncode}: {_tail(log)}"
                break
            if rss_file:
                kib = int(rss_file.read_text().split()[-1])
                rss = kib if rss is None else max(rss, kib)
        secs = time.perf_counter() - start
    return secs, rss, err


def _kill_group(pgid: int, killed: list) -> None:
    killed.append(pgid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _tail(log: Path) -> str:
    """The telling line of a failed command's output: its last error line, else its last."""
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    line = (errors or lines or ["(no output)"])[-1]
    return f"{line[:300]}  [log: {log}]"


class Bench:
    def __init__(self, args, tools, paths, work):
        self.a, self.tools, self.paths, self.work = args, tools, paths, work
        self.results: dict = {}
        self.failures: list[str] = []

    def slot(self, db, scen, tool):
        return (
            self.results.setdefault(db, {})
            .setdefault(scen, {})
            .setdefault(tool, {"times": [], "rss_kb": [], "error": None, "note": None})
        )

    def fail(self, server, scen, tool, msg):
        slot = self.slot(server.name, scen, tool.name)
        if slot["error"] is None:
            slot["error"] = msg
            self.failures.append(f"FAILED {tool.name} {scen} on {server.name}: {msg}")
            print(self.failures[-1], file=sys.stderr)

    def run(self, server, tool, scen, rss: bool = False, label: str | None = None):
        """Run one scenario of one tool and check the state it leaves: (secs, rss, err)."""
        log = self.work / "logs" / f"{server.name}-{tool.name}-{label or scen}.log"
        rss_file = log.with_suffix(".rss") if rss else None
        cmds = tool.commands(scen, server, self.paths, self.a.n)
        secs, kib, err = run_cmds(cmds, log, self.a.timeout, rss_file)
        if err is None:
            bad = tg.check_state(tool, server, self.a.n, applied=scen != "rollback")
            err = bad and f"wrong state afterwards: {bad} [log: {log}]"
        return secs, kib, err

    def run_server(self, server):
        n, a = self.a.n, self.a
        state: dict[str, str] = {}  # tool -> "applied" once a checked run left it so
        setup_error: dict[str, str] = {}

        def ensure_applied(tool) -> str | None:
            if state.get(tool.name) != "applied":
                if tool.name in setup_error:
                    return setup_error[tool.name]
                server.reset(tool.db)
                _, _, err = self.run(server, tool, "apply", label="setup")
                if err:
                    setup_error[tool.name] = f"could not apply first: {err}"
                    return setup_error[tool.name]
                state[tool.name] = "applied"
            return None

        for rep in range(a.repeat):
            k = rep % len(self.tools)
            order = self.tools[k:] + self.tools[:k]  # round robin
            for scen in (s for s in TIMED if s in self.scenarios):
                for tool in order:
                    slot = (
                        self.slot(server.name, scen, tool.name) if scen in tool.scenarios else None
                    )
                    if slot is None or slot["error"]:
                        continue
                    if server.name in tool.unsupported:
                        slot["note"] = tool.unsupported[server.name]
                        continue
                    if scen == "rollback" and tool.name == "dbmate" and n > a.dbmate_rollback_max:
                        slot["note"] = (
                            f"skipped: dbmate rolls back one migration per process "
                            f"({n} processes); timed only for N <= "
                            f"{a.dbmate_rollback_max} (--dbmate-rollback-max)"
                        )
                        continue
                    if scen == "apply":
                        server.reset(tool.db)  # a fresh database for every apply run
                    elif self.results[server.name].get("apply", {}).get(tool.name, {}).get("error"):
                        slot["error"] = "not run: its apply failed (above)"
                        continue
                    elif err := ensure_applied(tool):
                        self.fail(server, scen, tool, err)
                        continue
                    state[tool.name] = "unknown"
                    secs, _, err = self.run(server, tool, scen)
                    if err:
                        self.fail(server, scen, tool, err)
                        continue
                    state[tool.name] = "empty" if scen == "rollback" else "applied"
                    slot["times"].append(secs)
                    print(
                        f"[{server.name} {rep + 1}/{a.repeat}] {scen:<8} {tool.name:<8} "
                        f"{secs:8.3f} s",
                        file=sys.stderr,
                    )
        if "memory" in self.a.scenarios:
            self.memory(server)

    def memory(self, server):
        """One untimed apply (fresh database) and status per tool under GNU time."""
        if not os.access(TIME_BIN, os.X_OK):
            self.failures.append(
                f"FAILED memory on {server.name}: {TIME_BIN} missing (apt-get install time)"
            )
            return
        for tool in self.tools:
            for scen in ("apply", "status"):
                if scen not in tool.scenarios or server.name in tool.unsupported:
                    continue
                timed = self.results.get(server.name, {}).get(scen, {}).get(tool.name)
                if timed and timed["error"]:
                    continue  # already reported as failed
                slot = self.slot(server.name, "memory", tool.name)
                if slot["error"]:
                    continue
                if scen == "apply":
                    server.reset(tool.db)
                _, kib, err = self.run(server, tool, scen, rss=True, label=f"{scen}-rss")
                if err:
                    self.fail(server, "memory", tool, f"{scen}: {err}")
                    continue
                slot["rss_kb"].append(kib)  # [apply, status]
                print(
                    f"[{server.name} memory] {scen:<8} {tool.name:<8} {kib / 1024:6.1f} MiB",
                    file=sys.stderr,
                )

    @property
    def scenarios(self):
        return set(self.a.scenarios)


# ---------------------------------------------------------------- main


def _csv(choices):
    def parse(text):
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if x not in choices]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {', '.join(choices)}")
        return items

    return parse


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="number of migrations (default 1000)")
    p.add_argument(
        "--db",
        type=_csv(("postgresql", "mariadb", "sqlite")),
        default=["postgresql", "mariadb", "sqlite"],
        help="comma-separated: postgresql,mariadb,sqlite (default all)",
    )
    p.add_argument("--repeat", type=int, default=5, help="runs per tool and scenario")
    p.add_argument(
        "--tools", type=_csv(tuple(TOOLS)), default=list(TOOLS), help=f"default {','.join(TOOLS)}"
    )
    p.add_argument(
        "--scenarios",
        type=_csv(SCENARIOS),
        default=list(SCENARIOS),
        help=f"default {','.join(SCENARIOS)}",
    )
    p.add_argument(
        "--rung",
        default=str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "rung"),
        help="rung executable (default: the repository's .venv/bin/rung)",
    )
    p.add_argument(
        "--dbmate-rollback-max",
        type=int,
        default=200,
        help="time dbmate's rollback (N processes) only up to this N",
    )
    p.add_argument("--timeout", type=float, default=600, help="seconds per command")
    p.add_argument("--work", type=Path, default=BENCH / ".work", help="default bench/.work")
    p.add_argument("--keep", action="store_true", help="keep the rung_bench_* databases")
    a = p.parse_args(argv)
    if a.n < 1 or a.repeat < 1:
        p.error("--n and --repeat must be at least 1")

    started = time.time()
    work = a.work.resolve()
    early_failures = []
    bins, errors = tg.ensure_peers(BENCH, work, set(a.tools) & set(PEERS))
    bins["rung"] = bins["rung-1tx"] = a.rung
    if {"rung", "rung-1tx"} & set(a.tools) and (err := tg.preflight(a.rung)):
        errors["rung"] = errors["rung-1tx"] = err
    tools = []
    for name in a.tools:
        if name in errors:
            line = f"SKIPPED {name} on every database: {errors[name]}"
            early_failures.append(line)
            print(line, file=sys.stderr)
        else:
            tools.append(TOOLS[name](bins.get(name)))

    paths = _gen.write_all(work / "migrations" / f"n{a.n}", a.n)
    if {"rung", "rung-1tx"} & set(a.tools):  # byte-compiled, as pip leaves an installed package
        python = str(Path(a.rung).parent / "python")
        subprocess.run(
            [
                python,
                "-c",
                "import compileall, rung, os; compileall.compile_dir("
                "os.path.dirname(rung.__file__), quiet=1)",
            ],
            check=False,
        )
    if "alembic" in a.tools and "alembic" in bins:  # byte-compile, as after a first run
        subprocess.run(
            [
                str(work / "venv" / "bin" / "python"),
                "-m",
                "compileall",
                "-q",
                str(paths["alembic"]),
            ],
            check=False,
        )
    servers = {
        "postgresql": tg.Postgres(),
        "mariadb": tg.MariaDB(),
        "sqlite": tg.SQLite(work / "sqlite"),
    }
    versions = {t.name: t.version() for t in tools if t.name not in ("rung-1tx",)}
    bench = Bench(a, tools, paths, work)
    bench.failures += early_failures
    try:
        for db in a.db:
            server = servers[db]
            try:
                versions[db] = server.version()
            except RuntimeError as e:
                bench.failures.append(f"FAILED {db}: server unreachable: {e}")
                print(bench.failures[-1], file=sys.stderr)
                continue
            try:
                bench.run_server(server)
            except RuntimeError as e:  # the server itself failed (reset, inspect)
                bench.failures.append(f"FAILED {db}: stopped: {e}")
                print(bench.failures[-1], file=sys.stderr)
            finally:
                if not a.keep:
                    for tool in tools:
                        try:
                            server.drop(tool.db)
                        except RuntimeError as e:
                            print(f"warning: could not drop {tool.db}: {e}", file=sys.stderr)
    except KeyboardInterrupt:
        bench.failures.append("interrupted: partial results")
    elapsed = time.time() - started

    md = _report.report(bench.a, bench.results, bench.failures, tools, versions, started, elapsed)
    out = work / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    raw = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()},
        "versions": versions,
        "bins": bins,
        "started": started,
        "elapsed_s": elapsed,
        "results": bench.results,
        "failures": bench.failures,
    }
    (out / f"{stamp}.json").write_text(json.dumps(raw, indent=1))
    (out / f"{stamp}.md").write_text(md)
    print(md)
    print(f"raw timings: {out / f'{stamp}.json'}  (report: {out / f'{stamp}.md'})", file=sys.stderr)
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
