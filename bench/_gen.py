"""Write the same N migrations in each tool's own format (helper of bench/run.py).

Migration i (1..N) creates table t_i with an integer primary key, a few columns,
an index and (for i > 1) a foreign key to t_{i-1}, then inserts 10 rows; its down
drops the table. The SQL is portable across PostgreSQL, MariaDB and SQLite, so one
set of files serves all three databases.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

ROWS = 10


def up_statements(i: int) -> list[str]:
    fk = f",\n    FOREIGN KEY (parent_id) REFERENCES t_{i - 1} (id)" if i > 1 else ""
    create = (
        f"CREATE TABLE t_{i} (\n"
        "    id INTEGER PRIMARY KEY,\n"
        "    parent_id INTEGER,\n"
        "    name VARCHAR(100) NOT NULL,\n"
        f"    amount INTEGER NOT NULL DEFAULT 0{fk}\n"
        ")"
    )
    index = f"CREATE INDEX ix_t_{i}_name ON t_{i} (name)"
    rows = ", ".join(
        f"({k}, {'NULL' if i == 1 else k}, 'row {k} of t_{i}', {k * i})" for k in range(1, ROWS + 1)
    )
    insert = f"INSERT INTO t_{i} (id, parent_id, name, amount) VALUES {rows}"
    return [create, index, insert]


def down_statements(i: int) -> list[str]:
    return [f"DROP TABLE t_{i}"]


def _sql(statements: list[str]) -> str:
    return "".join(f"{s};\n" for s in statements)


ALEMBIC_INI = """\
[alembic]
script_location = %(here)s
path_separator = os
"""

# Alembic's default env.py, minus logging and offline mode: the database URL comes
# from `-x url=...`, and the whole upgrade/downgrade runs in one transaction (the
# default template's behaviour; transaction_per_migration is not set).
ALEMBIC_ENV = """\
from alembic import context
from sqlalchemy import create_engine, pool

url = context.get_x_argument(as_dictionary=True)["url"]
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""


def alembic_revision(i: int) -> str:
    return f"r{i:05d}"


def _alembic_file(i: int) -> str:
    down = repr(alembic_revision(i - 1)) if i > 1 else "None"
    ups = "".join(f"    op.execute({s!r})\n" for s in up_statements(i))
    downs = "".join(f"    op.execute({s!r})\n" for s in down_statements(i))
    return (
        f'"""create t_{i}"""\n'
        "from alembic import op\n\n"
        f"revision = {alembic_revision(i)!r}\n"
        f"down_revision = {down}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{ups}\n\n"
        f"def downgrade():\n{downs}"
    )


def dbmate_version(i: int) -> str:
    base = dt.datetime(2024, 1, 1)
    return (base + dt.timedelta(minutes=i)).strftime("%Y%m%d%H%M%S")


def write_all(root: Path, n: int) -> dict[str, Path]:
    """(Re)write every format under root; return the path of each tool's input."""
    if root.exists():
        shutil.rmtree(root)
    paths = {
        "rung": root / "rung" / "migrations",
        "floor": root / "floor",
        "yoyo": root / "yoyo",
        "dbmate": root / "dbmate",
        "alembic": root / "alembic",
    }
    for p in paths.values():
        p.mkdir(parents=True)
    (paths["alembic"] / "versions").mkdir()
    (paths["alembic"] / "alembic.ini").write_text(ALEMBIC_INI)
    (paths["alembic"] / "env.py").write_text(ALEMBIC_ENV)

    ups, downs = [], []
    for i in range(1, n + 1):
        up, down = _sql(up_statements(i)), _sql(down_statements(i))
        ups.append(up)
        downs.append(down)
        name = f"{i:05d}_create_t_{i}"
        (paths["rung"] / f"{name}.sql").write_text(f"-- rung:up\n{up}-- rung:down\n{down}")
        (paths["yoyo"] / f"{name}.sql").write_text(up)
        (paths["yoyo"] / f"{name}.rollback.sql").write_text(down)
        (paths["dbmate"] / f"{dbmate_version(i)}_create_t_{i}.sql").write_text(
            f"-- migrate:up\n{up}\n-- migrate:down\n{down}"
        )
        (paths["alembic"] / "versions" / f"{name}.py").write_text(_alembic_file(i))

    up_all, down_all = "".join(ups), "".join(reversed(downs))
    floor = paths["floor"]
    (floor / "up.sql").write_text(up_all)
    (floor / "down.sql").write_text(down_all)
    # The sqlite3 CLI has no "-1": wrap the script in one transaction ourselves.
    (floor / "up.sqlite.sql").write_text(f"BEGIN;\n{up_all}COMMIT;\n")
    (floor / "down.sqlite.sql").write_text(f"BEGIN;\n{down_all}COMMIT;\n")
    # The floor of a transaction per migration (floor-tx), for every database.
    (floor / "up-tx.sql").write_text("".join(f"BEGIN;\n{up}COMMIT;\n" for up in ups))
    (floor / "down-tx.sql").write_text(
        "".join(f"BEGIN;\n{down}COMMIT;\n" for down in reversed(downs))
    )
    return paths
