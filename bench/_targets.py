"""Databases, tools and the peers' installation (helper of bench/run.py).

A Server knows how to reset/drop/inspect one benchmark database through its own
CLI (psql, mariadb, sqlite3), the URL each tool wants, and the floor command. A
Tool knows the command of each scenario and how to check its own history table.
Only databases named rung_bench_* are ever created or dropped.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
MARIADB = {"host": "127.0.0.1", "port": "3306", "user": "root"}
SQLITE_BIN = "/usr/bin/sqlite3"
DB_PREFIX = "rung_bench_"
PEERS = ("alembic", "yoyo", "dbmate")
RUNG_HISTORY = "rung_history"  # rung's default history table


@dataclass
class Cmd:
    argv: list[str]
    stdin: Path | None = None


def _run(argv: list[str], stdin: str | None = None) -> str:
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}...: {(p.stderr or p.stdout).strip()[-500:]}")
    return p.stdout


class Server:
    name = ""

    def reset(self, db: str) -> None: ...
    def drop(self, db: str) -> None: ...
    def query(self, db: str, sql: str) -> list[str]: ...
    def tables(self, db: str) -> set[str]: ...
    def version(self) -> str: ...
    def floor(self, db: str, floor_dir: Path, direction: str, per_migration: bool = False) -> Cmd:
        """The database's own client running the SQL: in one transaction, or (per_migration)
        with BEGIN/COMMIT around each migration's statements."""
        ...

    def url(self, tool: str, db: str) -> str: ...


class Postgres(Server):
    name = "postgresql"

    def _psql(self, db: str) -> list[str]:
        return ["psql", "-X", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", db]

    def _admin(self, *sql: str) -> None:
        argv = self._psql("postgres") + ["-q", "-v", "ON_ERROR_STOP=1"]
        for s in sql:
            argv += ["-c", s]
        _run(argv)

    def reset(self, db):
        assert db.startswith(DB_PREFIX)
        self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
        # A new database's first connection builds its catalog caches (~50 ms); do it
        # here so that no tool's timed run pays for it.
        self.query(db, "SELECT 1")

    def drop(self, db):
        assert db.startswith(DB_PREFIX)
        self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    def query(self, db, sql):
        out = _run(self._psql(db) + ["-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql])
        return out.splitlines()

    def tables(self, db):
        return set(
            self.query(
                db,
                "SELECT table_name FROM information_schema.tables WHERE "
                "table_schema NOT IN ('pg_catalog', 'information_schema')",
            )
        )

    def version(self):
        names = ("fsync", "synchronous_commit", "max_locks_per_transaction", "max_connections")
        got = self.query(
            "postgres",
            "SELECT current_setting('server_version'), "
            + ", ".join(f"current_setting('{n}')" for n in names),
        )[0].split("|")
        return f"{got[0]} ({', '.join(f'{n}={v}' for n, v in zip(names, got[1:], strict=True))})"

    def floor(self, db, floor_dir, direction, per_migration=False):
        script = floor_dir / (f"{direction}-tx.sql" if per_migration else f"{direction}.sql")
        one = [] if per_migration else ["-1"]
        return Cmd(self._psql(db) + ["-q", "-v", "ON_ERROR_STOP=1", *one, "-f", str(script)])

    def url(self, tool, db):
        hostport = f"{PG['host']}:{PG['port']}"
        return {
            "rung": f"postgresql://{PG['user']}@{hostport}/{db}",
            "alembic": f"postgresql+psycopg://{PG['user']}@{hostport}/{db}",
            "yoyo": f"postgresql+psycopg://{PG['user']}@{hostport}/{db}",
            "dbmate": f"postgres://{PG['user']}@{hostport}/{db}?sslmode=disable",
        }[tool]


class MariaDB(Server):
    name = "mariadb"

    def _cli(self, db: str | None = None) -> list[str]:
        argv = ["mariadb", "-h", MARIADB["host"], "-P", MARIADB["port"], "-u", MARIADB["user"]]
        return argv + ([db] if db else [])

    def reset(self, db):
        assert db.startswith(DB_PREFIX)
        _run(self._cli() + ["-e", f"DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}`"])

    def drop(self, db):
        assert db.startswith(DB_PREFIX)
        _run(self._cli() + ["-e", f"DROP DATABASE IF EXISTS `{db}`"])

    def query(self, db, sql):
        return _run(self._cli(db) + ["-N", "-B", "-e", sql]).splitlines()

    def tables(self, db):
        return set(
            self.query(
                db, f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{db}'"
            )
        )

    def version(self):
        v, flush = self.query(
            "information_schema", "SELECT version(), @@innodb_flush_log_at_trx_commit"
        )[0].split("\t")
        return f"{v} (innodb_flush_log_at_trx_commit={flush})"

    def floor(self, db, floor_dir, direction, per_migration=False):
        script = floor_dir / (f"{direction}-tx.sql" if per_migration else f"{direction}.sql")
        return Cmd(self._cli(db), stdin=script)

    def url(self, tool, db):
        hostport = f"{MARIADB['host']}:{MARIADB['port']}"
        scheme = {"rung": "mysql", "alembic": "mysql+pymysql", "yoyo": "mysql", "dbmate": "mysql"}[
            tool
        ]
        return f"{scheme}://{MARIADB['user']}@{hostport}/{db}"


class SQLite(Server):
    name = "sqlite"

    def __init__(self, directory: Path):
        self.dir = directory

    def path(self, db: str) -> Path:
        return self.dir / f"{db}.db"

    def drop(self, db):
        assert db.startswith(DB_PREFIX)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path(db)}{suffix}").unlink(missing_ok=True)

    def reset(self, db):
        # An empty file is an empty SQLite database, as CREATE DATABASE gives on servers.
        self.drop(db)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path(db).touch()

    def query(self, db, sql):
        return _run([SQLITE_BIN, str(self.path(db)), sql]).splitlines()

    def tables(self, db):
        return set(
            self.query(
                db,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
        )

    def version(self):
        return _run([SQLITE_BIN, "--version"]).split()[0]

    def floor(self, db, floor_dir, direction, per_migration=False):
        # The sqlite3 CLI has no "-1": the one-transaction script carries its own BEGIN/COMMIT.
        script = f"{direction}-tx.sql" if per_migration else f"{direction}.sqlite.sql"
        return Cmd([SQLITE_BIN, "-bail", str(self.path(db))], stdin=floor_dir / script)

    def url(self, tool, db):
        p = str(self.path(db).resolve())  # absolute: four slashes for the URL tools
        return {
            "rung": f"sqlite:///{p}",
            "alembic": f"sqlite:///{p}",
            "yoyo": f"sqlite:///{p}",
            "dbmate": f"sqlite:{p}",
        }[tool]


# ---------------------------------------------------------------- tools


def _count(server: Server, db: str, table: str) -> int | None:
    try:
        return int(server.query(db, f"SELECT count(*) FROM {table}")[0])
    except (RuntimeError, IndexError, ValueError):
        return None


class Tool:
    """One contender. `base` is the tool whose database/history a variant shares."""

    name = ""
    scenarios: tuple[str, ...] = ()
    unsupported: dict[str, str] = {}  # database -> why the tool is not run there

    def __init__(self, bin_path: str | None = None):
        self.bin = bin_path

    @property
    def db(self) -> str:
        return DB_PREFIX + self.name.replace("-", "_")

    def commands(self, scenario: str, server: Server, paths: dict, n: int) -> list[Cmd]:
        raise NotImplementedError

    def check_history(self, server: Server, n: int, applied: bool) -> str | None:
        return None

    def version(self) -> str:
        try:
            out = _run([self.bin, "--version"]).split()
            return out[-1] if out else "unknown"
        except Exception:  # noqa: BLE001 - a version is only a label
            return "unknown (--version failed)"


class Floor(Tool):
    name = "floor"
    scenarios = ("apply", "rollback")

    def commands(self, scenario, server, paths, n):
        direction = {"apply": "up", "rollback": "down"}[scenario]
        return [server.floor(self.db, paths["floor"], direction)]

    def version(self):
        return "psql / mariadb / sqlite3 CLI"


class FloorPerMigration(Floor):
    """The floor with a transaction per migration, as rung, yoyo and dbmate apply: what a
    transaction per migration costs the server, with no history to keep."""

    name = "floor-tx"

    def commands(self, scenario, server, paths, n):
        direction = {"apply": "up", "rollback": "down"}[scenario]
        return [server.floor(self.db, paths["floor"], direction, per_migration=True)]


class Rung(Tool):
    name = "rung"
    scenarios = ("apply", "noop", "status", "rollback")
    extra: list[str] = []

    def commands(self, scenario, server, paths, n):
        base = [self.bin, "--database", server.url("rung", self.db), "--dir", str(paths["rung"])]
        sub = {
            "apply": ["up", *self.extra],
            "noop": ["up"],
            "status": ["status"],
            "rollback": ["down", "--all"],
        }[scenario]
        return [Cmd(base + sub)]

    def check_history(self, server, n, applied):
        # rung's history is an append-only event log: at least one row per apply.
        rows = _count(server, self.db, RUNG_HISTORY)
        if applied and (rows is None or rows < n):
            return f"{RUNG_HISTORY} has {rows} rows, want at least {n}"
        return None


class RungSingleTx(Rung):
    name = "rung-1tx"
    scenarios = ("apply",)
    extra = ["--single-transaction"]
    unsupported = {
        "mariadb": "not run: MariaDB commits each DDL statement, so rung refuses "
        "--single-transaction there (by design)"
    }


class Alembic(Tool):
    name = "alembic"
    scenarios = ("apply", "noop", "status", "rollback")

    def commands(self, scenario, server, paths, n):
        base = [
            self.bin,
            "-c",
            str(paths["alembic"] / "alembic.ini"),
            "-x",
            f"url={server.url('alembic', self.db)}",
        ]
        sub = {
            "apply": ["upgrade", "head"],
            "noop": ["upgrade", "head"],
            "status": ["history", "--indicate-current"],
            "rollback": ["downgrade", "base"],
        }
        return [Cmd(base + sub[scenario])]

    def check_history(self, server, n, applied):
        try:
            rows = server.query(self.db, "SELECT version_num FROM alembic_version")
        except RuntimeError:
            return "alembic_version missing"
        want = [f"r{n:05d}"] if applied else []
        return None if rows == want else f"alembic_version is {rows}, want {want}"


class Yoyo(Tool):
    name = "yoyo"
    scenarios = ("apply", "noop", "status", "rollback")

    def version(self):  # yoyo has no --version
        python = str(Path(self.bin).parent / "python")
        code = "import importlib.metadata as m; print(m.version('yoyo-migrations'))"
        try:
            return _run([python, "-c", code]).strip()
        except RuntimeError:
            return "unknown"

    def commands(self, scenario, server, paths, n):
        url = server.url("yoyo", self.db)
        sub = {
            "apply": ["apply", "--batch"],
            "noop": ["apply", "--batch"],
            "status": ["list"],
            "rollback": ["rollback", "--batch", "--all"],
        }[scenario]
        return [Cmd([self.bin, *sub, "--no-config-file", "--database", url, str(paths["yoyo"])])]

    def check_history(self, server, n, applied):
        got, want = _count(server, self.db, "_yoyo_migration"), n if applied else 0
        return None if got == want else f"_yoyo_migration has {got} rows, want {want}"


class Dbmate(Tool):
    name = "dbmate"
    scenarios = ("apply", "noop", "status", "rollback")

    def commands(self, scenario, server, paths, n):
        base = [
            self.bin,
            "--url",
            server.url("dbmate", self.db),
            "--migrations-dir",
            str(paths["dbmate"]),
            "--no-dump-schema",
        ]
        if scenario == "rollback":  # dbmate rolls back one migration per process
            return [Cmd(base + ["rollback"]) for _ in range(n)]
        return [Cmd(base + [{"apply": "up", "noop": "up", "status": "status"}[scenario]])]

    def check_history(self, server, n, applied):
        got, want = _count(server, self.db, "schema_migrations"), n if applied else 0
        return None if got == want else f"schema_migrations has {got} rows, want {want}"


def _is_t(table: str) -> bool:
    return table.startswith("t_") and table[2:].isdigit()


def check_state(tool: Tool, server: Server, n: int, applied: bool) -> str | None:
    """None if the database is what `tool` should have left, else what is wrong."""
    try:
        t_tables = {t for t in server.tables(tool.db) if _is_t(t)}
        want = {f"t_{i}" for i in range(1, n + 1)} if applied else set()
        if t_tables != want:
            return f"found {len(t_tables)} of the t_* tables, want {len(want)}"
        if applied:
            rows = _count(server, tool.db, f"t_{n}")
            if rows != 10:
                return f"t_{n} has {rows} rows, want 10"
        return tool.check_history(server, n, applied)
    except RuntimeError as e:
        return f"could not inspect the database: {e}"


def preflight(executable: str) -> str | None:
    """None if `executable --help` runs and exits 0, else why not."""
    try:
        p = subprocess.run([executable, "--help"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"cannot run {executable}: {e}"
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines() or ["(no output)"]
        return f"`{executable} --help` exits {p.returncode}: {lines[-1][:300]}"
    return None


# ---------------------------------------------------------------- installing the peers


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _install(argv: list[str], log: Path, what: str) -> str | None:
    with log.open("a") as f:
        f.write(f"$ {' '.join(argv)}\n")
        f.flush()
        rc = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        return f"installing {what} failed (exit {rc}); see {log}"
    return None


def ensure_peers(bench: Path, work: Path, want: set[str]) -> tuple[dict, dict]:
    """Install the peers into work/ once (again when a requirements file changes).

    Returns ({tool: executable}, {tool: error}).
    """
    work.mkdir(parents=True, exist_ok=True)
    log = work / "install.log"
    bins, errors = {}, {}
    venv = work / "venv"
    if want & {"alembic", "yoyo"}:
        req, stamp = bench / "requirements.txt", venv / ".requirements.sha256"
        err = None
        if not (stamp.exists() and stamp.read_text() == _sha(req)):
            print(f"setting up {venv} (pip install -r {req}) ...", file=sys.stderr)
            if not (venv / "bin" / "python").exists():
                err = _install([sys.executable, "-m", "venv", str(venv)], log, "the venv")
            err = err or _install(
                [
                    str(venv / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-r",
                    str(req),
                ],
                log,
                "req",
            )
            if not err:
                stamp.write_text(_sha(req))
        for tool in ("alembic", "yoyo"):
            exe = venv / "bin" / tool
            if err or not exe.exists():
                errors[tool] = err or f"{exe} missing after install"
            else:
                bins[tool] = str(exe)
    if "dbmate" in want:
        pkg, stamp = bench / "package.json", work / ".package.json.sha256"
        err = None
        if not (stamp.exists() and stamp.read_text() == _sha(pkg)):
            print(f"setting up {work}/node_modules (npm install) ...", file=sys.stderr)
            shutil.copyfile(pkg, work / "package.json")
            err = _install(
                [
                    "npm",
                    "install",
                    "--prefix",
                    str(work),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                ],
                log,
                "dbmate",
            )
            if not err:
                stamp.write_text(_sha(pkg))
        # Call the platform's native binary, not the Node launcher in .bin/, so the
        # timing is dbmate's own and not Node's start-up plus a child process.
        arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
        native = work / "node_modules" / "@dbmate" / f"linux-{arch}" / "bin" / "dbmate"
        launcher = work / "node_modules" / ".bin" / "dbmate"
        if native.exists():
            bins["dbmate"] = str(native)
        elif launcher.exists():
            bins["dbmate"] = str(launcher)
        else:
            errors["dbmate"] = err or "no dbmate binary under node_modules after npm install"
    return bins, errors
