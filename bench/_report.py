"""The Markdown report of bench/run.py."""

from __future__ import annotations

import os
import platform
import statistics
import time

from _targets import PEERS

SCENARIOS = ("apply", "noop", "status", "rollback", "memory")
TITLES = {
    "apply": "apply all {n} migrations to an empty database",
    "noop": "no-op `up` with all {n} applied",
    "status": "`status` with all {n} applied",
    "rollback": "roll back all {n}",
    "memory": "peak memory (max RSS of the process, one run under GNU time)",
}
NOTES = [
    "Wall clock of the whole command, process start included; median over the runs.",
    "alembic: default env.py behaviour, one transaction around the whole upgrade or "
    "downgrade; its status equivalent is `alembic history --indicate-current` (lists "
    "every revision and marks the current one, reading the database).",
    "yoyo and dbmate: a transaction per migration; dbmate is its native binary from "
    "the npm package (not the Node launcher) with --no-dump-schema.",
    "MariaDB commits each DDL statement implicitly, so no tool (nor the floor) gets "
    "one atomic transaction there.",
]


def _median(xs):
    return statistics.median(xs) if xs else None


def table(res: dict, scen: str, tools: list, n: int) -> str:
    rows = {t.name: res.get(scen, {}).get(t.name) for t in tools if scen in t.scenarios}
    rows = {k: v for k, v in rows.items() if v}
    if scen in ("apply", "rollback"):
        ref_name = "floor"
        ref = _median(rows.get("floor", {}).get("times", []))
        head = "× floor"
    else:
        peers = {k: _median(v["times"]) for k, v in rows.items() if k in PEERS and v["times"]}
        ref_name = min(peers, key=peers.get) if peers else None
        ref = peers.get(ref_name) if ref_name else None
        head = f"× fastest peer ({ref_name or '–'})"
    out = [f"| tool | median s | min s | max s | {head} | runs |", "|---|---:|---:|---:|---:|---:|"]
    notes = []
    for name, r in rows.items():
        t = r["times"]
        if not t:
            out.append(f"| {name} | {'FAILED' if r['error'] else 'skipped'} | | | | 0 |")
        else:
            m = _median(t)
            ratio = f"{m / ref:.2f}" if ref else "–"
            out.append(f"| {name} | {m:.3f} | {min(t):.3f} | {max(t):.3f} | {ratio} | {len(t)} |")
        if r["error"]:
            notes.append(f"- {name}: FAILED: {r['error']}")
        if r["note"]:
            notes.append(f"- {name}: {r['note']}")
    if ref is None and scen in ("apply", "rollback") and "floor" in rows:
        notes.append("- no ratios: the floor itself failed (see above)")
    return "\n".join(out + ([""] + notes if notes else []))


def memory_table(res: dict, tools: list) -> str:
    out = ["| tool | apply MiB | status MiB |", "|---|---:|---:|"]
    notes = []
    for t in tools:
        r = res.get("memory", {}).get(t.name)
        if not r:
            continue
        cells = [f"{kib / 1024:.1f}" for kib in r["rss_kb"]] + ["–", "–"]
        if "status" not in t.scenarios:
            cells = [cells[0], "–"]
        out.append(f"| {t.name} | {cells[0]} | {cells[1]} |")
        if r["error"]:
            notes.append(f"- {t.name}: FAILED: {r['error']}")
    return "\n".join(out + ([""] + notes if notes else []))


def report(a, results: dict, failures: list, tools, versions, started, elapsed) -> str:
    """a: the parsed options; results: {db: {scenario: {tool: slot}}}."""
    lines = [
        f"# rung benchmark: N={a.n}, repeat={a.repeat}",
        "",
        f"Started {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started))}, "
        f"{os.cpu_count()} cores, {platform.platform()}, whole run {elapsed:.0f} s.",
        "",
        "Versions: " + "; ".join(f"{k} {v}" for k, v in versions.items()),
        "",
    ]
    lines += [f"- {note}" for note in NOTES]
    if failures:
        lines += ["", f"**{len(failures)} failure(s):**", ""]
        lines += [f"- {f}" for f in failures]
    for db, res in results.items():
        lines += ["", f"## {db}"]
        for scen in (s for s in SCENARIOS if s in a.scenarios):
            lines += ["", f"### {db}: {TITLES[scen].format(n=a.n)}", ""]
            lines.append(
                memory_table(res, tools) if scen == "memory" else table(res, scen, tools, a.n)
            )
    return "\n".join(lines) + "\n"
