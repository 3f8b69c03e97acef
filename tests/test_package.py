"""Rules about the package itself: its public names, its seams, its start-up cost, its style."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rung

SRC = Path(rung.__file__).parent
ROOT = SRC.parents[1]


def test_public_names_are_sorted_and_exist():
    assert rung.__all__ == sorted(rung.__all__)
    for name in rung.__all__:
        assert getattr(rung, name) is not None


def test_only_dialects_ask_which_database_they_talk_to():
    """Everything else reads a capability (see dialects/base.py)."""
    names = "sqlite|postgresql|postgres|mysql|mariadb|generic"
    asks = re.compile(
        rf"\.(name|family)\s*[!=]=\s*['\"]({names})['\"]"
        r"|isinstance\([^)]*(SQLite|PostgreSQL|MySQL|MariaDB)\)"
    )
    offenders = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in SRC.rglob("*.py")
        if "dialects" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if asks.search(line)
    ]
    assert offenders == []


def test_a_no_op_run_does_not_import_heavy_libraries(tmp_path):
    """`rung up` runs at every deploy: SQLAlchemy, sqlglot and rich load only when needed."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001_t.sql").write_text("CREATE TABLE t (id INTEGER);")
    script = (
        "import sys\n"
        "from rung.cli import main\n"
        "for args in (['up'], ['up'], ['status']):\n"
        "    try:\n"
        f"        main(['-d', 'sqlite:///{tmp_path / 'a.db'}',"
        f" '--dir', '{tmp_path / 'migrations'}', '-q', *args])\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0, exit.code\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'sqlglot', 'rich') if m in sys.modules)\n"
        "print('heavy:', ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "heavy:"


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff is not installed (it is part of the test extras)",
)
def test_code_is_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    check = subprocess.run(
        [ruff, "check", "src", "tests", "bench"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    formatted = subprocess.run(
        [ruff, "format", "--check", "src", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert formatted.returncode == 0, formatted.stdout
