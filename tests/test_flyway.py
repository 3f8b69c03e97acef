"""Flyway folders: configurable naming ([flyway]), dotted versions, and baseline migrations
(`B1_20_0__x.sql`), which an empty database runs in place of the migrations up to them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Backend, run_rung, write
from rung import Migrator
from rung.config import Settings, load_settings
from rung.errors import ConfigError, InvalidMigrations, MigrationFailed, RequestRefused
from rung.model import HistoryEvent
from rung.plan import BELOW_BASELINE, derive, plan_down, plan_up, statuses
from rung.source import discover
from rung.source.adapters import FlywayNaming, layout_for


def flyway(folder: Path, **naming: object) -> list:
    """The folder read as Flyway, with [flyway] settings given as keywords."""
    table = FlywayNaming.from_table(naming, "test") if naming else None
    return discover(folder, parse=True, layout=layout_for("flyway", flyway=table))


def config(tmp_path: Path, text: str, name: str = "rung.toml") -> Settings:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load_settings(cwd=tmp_path, environ={})


def migrator(backend: Backend, folder: Path, naming: FlywayNaming | None = None) -> Migrator:
    settings = Settings(database=backend.url.text, directory=folder, format="flyway", flyway=naming)
    return Migrator(settings=settings)


# -- a realistic folder ----------------------------------------------------------------------
# As Flyway projects grow: dotted and underscored versions, undo files for some.
REAL = {
    "V1__create_schema.sql": "CREATE TABLE accounts (id INT PRIMARY KEY);\n",
    "U1__create_schema.sql": "DROP TABLE accounts;\n",
    "V1.1__add_email.sql": "CREATE TABLE emails (id INT PRIMARY KEY);\n",
    "U1.1__add_email.sql": "DROP TABLE emails;\n",
    "V1_2__audit.sql": "CREATE TABLE audit (id INT PRIMARY KEY);\n",
    "U1_2__audit.sql": "DROP TABLE audit;\n",
    "V1.10__reports.sql": "CREATE TABLE reports (id INT PRIMARY KEY);\n",
    "U1.10__reports.sql": "DROP TABLE reports;\n",
    "V2.0.1__Fix_Things.sql": "CREATE TABLE fixes (id INT PRIMARY KEY);\n",
    "U2.0.1__Fix_Things.sql": "DROP TABLE fixes;\n",
    "V010__leading_zeros.sql": "CREATE TABLE zeros (id INT PRIMARY KEY);\n",
    "U010__leading_zeros.sql": "DROP TABLE zeros;\n",
    "README.md": "notes, not a migration",
}
TABLES = {"accounts", "emails", "audit", "reports", "fixes", "zeros"}


def test_a_real_folder_orders_versions_numerically(migrations):
    write(migrations, REAL)
    found = flyway(migrations)
    assert [m.version for m in found] == [(1,), (1, 1), (1, 2), (1, 10), (2, 0, 1), (10,)]
    assert [m.version_text for m in found] == ["1", "1.1", "1_2", "1.10", "2.0.1", "010"]
    assert [m.name for m in found][-2:] == ["Fix_Things", "leading_zeros"]
    assert all(m.has_down and m.down_path.name.startswith("U") for m in found)


def test_a_real_folder_applies_and_rolls_back(backend, migrations):
    write(migrations, REAL)
    m = migrator(backend, migrations)
    assert len(m.up().steps) == 6
    assert backend.tables() >= TABLES
    rows = backend.history_rows()
    versions = [row[0] for row in rows if row[1:3] == ("apply", "success")]
    assert versions == ["1", "1.1", "1_2", "1.10", "2.0.1", "010"]  # as the files write them
    assert len(m.down(everything=True).steps) == 6
    assert backend.tables() == {"rung_history"}


# -- [flyway]: prefixes, separator, suffixes -------------------------------------------------
def test_flyway_table_is_read_from_rung_toml_and_pyproject(tmp_path):
    text = '[flyway]\nprefix = "M"\nseparator = "--"\nsuffixes = [".pgsql", ".sql"]\n'
    loaded = config(tmp_path, 'format = "flyway"\n' + text)
    assert loaded.flyway == FlywayNaming(prefix="M", separator="--", suffixes=(".pgsql", ".sql"))
    (tmp_path / "rung.toml").unlink()
    loaded = config(
        tmp_path,
        '[tool.rung]\nformat = "flyway"\n[tool.rung.flyway]\nprefix = "M"\n',
        "pyproject.toml",
    )
    assert loaded.flyway == FlywayNaming(prefix="M")
    assert Migrator(settings=loaded).layout.naming.prefix == "M"


def test_custom_naming_is_read_as_flyway_reads_it(migrations):
    write(
        migrations,
        {
            "M1.0+users.pgsql": "CREATE TABLE users (id INT);",
            "UNDO1.0+users.pgsql": "DROP TABLE users;",
            "M1.2+posts.sql": "CREATE TABLE posts (id INT);",
            "BASE1.1+all.sql": "CREATE TABLE users (id INT);",
            "V3__default_prefix.sql": "SELECT 1;",
        },
    )
    with pytest.raises(InvalidMigrations) as error:
        flyway(
            migrations,
            prefix="M",
            undo_prefix="UNDO",
            baseline_prefix="BASE",
            separator="+",  # a regular-expression character, taken literally
            suffixes=[".pgsql", ".sql"],
        )
    assert list(error.value.details) == [
        f"{migrations / 'V3__default_prefix.sql'}: not a valid flyway migration file name"
    ]
    (migrations / "V3__default_prefix.sql").unlink()
    found = flyway(
        migrations,
        prefix="M",
        undo_prefix="UNDO",
        baseline_prefix="BASE",
        separator="+",
        suffixes=[".pgsql", ".sql"],
    )
    users, baseline, posts = found
    assert (users.version, users.name, users.down.text) == ((1, 0), "users", "DROP TABLE users;")
    assert baseline.baseline and baseline.version == (1, 1) and not users.baseline
    assert (posts.version, posts.name, posts.has_down) == ((1, 2), "posts", False)


def test_a_separator_of_dots_and_dollars_is_literal(migrations):
    write(migrations, {"V1$.users.sql": "SELECT 1;", "V2x.posts.sql": "SELECT 1;"})
    with pytest.raises(InvalidMigrations) as error:
        flyway(migrations, separator="$.")
    assert [line.split(": ", 1)[0] for line in error.value.details] == [
        str(migrations / "V2x.posts.sql")
    ]


@pytest.mark.parametrize(
    "table, message",
    [
        ('prefix = ""', "`prefix` must be a non-empty string"),
        ("prefix = 1", "`prefix` must be a non-empty string"),
        ('undo_prefix = "V"', "`undo_prefix` 'V' is also `prefix`"),
        ('prefix = "U"', "`undo_prefix` 'U' is also `prefix`"),
        ('baseline_prefix = "R"', "`baseline_prefix` 'R' is also `repeatable_prefix`"),
        ('prefix = "V2"', "`prefix` 'V2' ends with a digit"),
        ('separator = ""', "`separator` must be a non-empty string"),
        ('separator = "1_"', "`separator` '1_' starts with a digit or a dot"),
        ('suffixes = ".sql"', "`suffixes` must be a non-empty list"),
        ("suffixes = []", "`suffixes` must be a non-empty list"),
        ('suffixes = [""]', "`suffixes` must be a non-empty string"),
        ('sql_migration_prefix = "V"', "unknown setting 'sql_migration_prefix'"),
    ],
)
def test_bad_flyway_settings_name_the_key_and_the_file(tmp_path, table, message):
    with pytest.raises(ConfigError) as error:
        config(tmp_path, f'format = "flyway"\n[flyway]\n{table}\n')
    assert message in error.value.message
    assert f"{tmp_path / 'rung.toml'} [flyway]" in error.value.message
    assert error.value.hint


def test_flyway_table_needs_format_flyway(tmp_path):
    with pytest.raises(ConfigError) as error:
        config(tmp_path, '[flyway]\nprefix = "M"\n')
    assert "[flyway] is only read with format = \"flyway\", not 'rung'" in error.value.message
    result = run_rung(tmp_path, "status", "-d", "sqlite:///x.db")
    assert result.code == 3 and "[flyway]" in result.err and not (tmp_path / "x.db").exists()


def test_custom_naming_applies_on_every_database(backend, migrations):
    naming = FlywayNaming(prefix="Ver", undo_prefix="Und", separator="-", suffixes=(".ddl",))
    write(
        migrations,
        {
            "Ver1-users.ddl": "CREATE TABLE users (id INT);\n",
            "Und1-users.ddl": "DROP TABLE users;\n",
        },
    )
    m = migrator(backend, migrations, naming)
    assert [s.migration.label for s in m.up().steps] == ["Ver1-users.ddl"]
    assert "users" in backend.tables()
    m.down()
    assert backend.tables() == {"rung_history"}


# -- baselines: the folder --------------------------------------------------------------------
BASELINED = {
    "V1__users.sql": "CREATE TABLE users (id INT);\n",
    "U1__users.sql": "DROP TABLE users;\n",
    "V1_1__posts.sql": "CREATE TABLE posts (id INT);\n",
    "U1_1__posts.sql": "DROP TABLE posts;\n",
    "B1_1__baseline.sql": "CREATE TABLE users (id INT);\nCREATE TABLE posts (id INT);\n",
    "V2__tags.sql": "CREATE TABLE tags (id INT);\n",
    "U2__tags.sql": "DROP TABLE tags;\n",
    "B2__baseline.sql": "CREATE TABLE users (id INT);\nCREATE TABLE posts (id INT);\n"
    "CREATE TABLE tags (id INT);\n",
    "V3__likes.sql": "CREATE TABLE likes (id INT);\n",
    "U3__likes.sql": "DROP TABLE likes;\n",
}


def test_a_baseline_and_a_migration_may_share_a_version(migrations):
    write(migrations, BASELINED)
    found = flyway(migrations)
    assert [(m.version_text, m.baseline) for m in found] == [
        ("1", False),
        ("1_1", False),
        ("1_1", True),
        ("2", False),
        ("2", True),
        ("3", False),
    ]
    assert found[2].label == "B1_1__baseline" and not found[2].has_down


def test_two_baselines_with_one_version_are_a_problem(migrations):
    write(migrations, {"B1__a.sql": "SELECT 1;", "B1.0__b.sql": "SELECT 1;", "B01__c.sql": "x"})
    with pytest.raises(InvalidMigrations) as error:
        flyway(migrations)
    assert list(error.value.details) == [
        f"{migrations / 'B1.0__b.sql'}: baseline version 1.0 is also used by B01__c.sql "
        "(in the flyway layout 1.0 and 1 are one version: trailing zeros do not count)",
        f"{migrations / 'B1__a.sql'}: baseline version 1 is also used by B01__c.sql",
    ]


# -- baselines: an empty database ---------------------------------------------------------------
def history(backend: Backend) -> list[tuple[str, str, str]]:
    """Version, event and outcome of each finished run (MariaDB also records a start)."""
    return [(str(r[0]), r[1], r[2]) for r in backend.history_rows() if r[2] != "running"]


def test_an_empty_database_runs_the_newest_baseline_then_what_is_above_it(backend, migrations):
    write(migrations, BASELINED)
    m = migrator(backend, migrations)
    before = {s.label: s.state for s in m.status().migrations}
    assert before == {
        "V1__users": BELOW_BASELINE,
        "V1_1__posts": BELOW_BASELINE,
        "V2__tags": BELOW_BASELINE,
        "B2__baseline": "pending",
        "V3__likes": "pending",
    }
    assert [s.migration.label for s in m.up().steps] == ["B2__baseline", "V3__likes"]
    assert {"users", "posts", "tags", "likes"} <= backend.tables()
    assert history(backend) == [("2", "baseline", "success"), ("3", "apply", "success")]
    event = next(e for e in m.history() if e.outcome == "success")
    assert (event.name, event.version_text) == ("baseline", "2")
    assert event.checksum == m.migrations()[4].checksum and event.duration_ms is not None
    after = {s.label: s.state for s in m.status().migrations}
    assert after == {
        "V1__users": "baseline",
        "V1_1__posts": "baseline",
        "V2__tags": "baseline",
        "V3__likes": "applied",
    }
    assert m.status().up_to_date
    assert not m.up().steps  # the older baseline stays ignored


def test_up_to_runs_the_newest_baseline_at_or_below_the_target(backend, migrations):
    write(migrations, BASELINED)
    m = migrator(backend, migrations)
    assert [s.migration.label for s in m.up(target=(1, 1)).steps] == ["B1_1__baseline"]
    assert [s.migration.label for s in m.up().steps] == ["V2__tags", "V3__likes"]
    assert history(backend) == [
        ("1_1", "baseline", "success"),
        ("2", "apply", "success"),
        ("3", "apply", "success"),
    ]


def test_up_to_below_every_baseline_runs_the_migrations(backend, migrations):
    write(migrations, BASELINED)
    m = migrator(backend, migrations)
    assert [s.migration.label for s in m.up(target=(1,)).steps] == ["V1__users"]
    # the database is no longer empty: baselines are ignored from now on
    assert [s.migration.label for s in m.up().steps] == ["V1_1__posts", "V2__tags", "V3__likes"]
    assert not any(event.event == "baseline" for event in m.history())


def test_a_database_with_applied_migrations_ignores_baselines(backend, migrations):
    write(migrations, {k: v for k, v in BASELINED.items() if not k.startswith("B")})
    m = migrator(backend, migrations)
    m.up(target=(1,))
    write(migrations, {k: v for k, v in BASELINED.items() if k.startswith("B")})
    assert not any(s.migration and s.migration.baseline for s in m.status().migrations)
    assert [s.migration.label for s in m.up().steps] == ["V1_1__posts", "V2__tags", "V3__likes"]


def test_rolling_back_past_a_baseline_stops_before_anything_runs(backend, migrations):
    write(migrations, BASELINED)
    m = migrator(backend, migrations)
    m.up()
    rows = history(backend)
    for request in ({"everything": True}, {"steps": 2}, {"target": (1,)}):
        with pytest.raises(RequestRefused) as error:
            m.down(**request)
        assert "cannot roll back past the baseline B2__baseline" in error.value.message
        assert "nothing was rolled back" in error.value.message
        assert history(backend) == rows and "likes" in backend.tables()
    assert [s.migration.label for s in m.down(target=(2,)).steps] == ["V3__likes"]
    assert "likes" not in backend.tables()


def test_a_failed_baseline_is_finished_before_anything_else(backend, migrations):
    broken = "CREATE TABLE users (id INT);\nCREATE TABLE posts (id INT);\nNOT SQL;\n"
    write(migrations, {**BASELINED, "B2__baseline.sql": broken})
    m = migrator(backend, migrations)
    with pytest.raises(MigrationFailed):
        m.up()
    states = {s.label: s.state for s in m.status().migrations}
    assert states["B2__baseline"] == "failed" and states["V2__tags"] == BELOW_BASELINE
    assert not m.status().up_to_date
    write(migrations, {"B2__baseline.sql": broken.replace("NOT SQL;\n", "")})
    steps = m.up().steps
    assert [s.migration.label for s in steps] == ["B2__baseline", "V3__likes"]
    # MariaDB committed the first two statements: the run resumes after them
    assert steps[0].resume_from == (0 if backend.transactional_ddl else 2)
    assert {"users", "posts", "likes"} <= backend.tables()
    assert m.status().up_to_date


def test_status_exit_code_is_green_once_the_baseline_ran(tmp_path, backend, migrations):
    write(migrations, BASELINED)
    (tmp_path / "rung.toml").write_text('format = "flyway"\n')
    url = backend.url.text
    before = run_rung(tmp_path, "status", "--exit-code", "-d", url)
    assert before.code == 8 and "below-baseline" in before.out
    up = run_rung(tmp_path, "up", "-d", url)
    assert up.code == 0, up.err
    after = run_rung(tmp_path, "status", "--exit-code", "-d", url, "--json")
    assert after.code == 0, after.out
    assert {m["state"] for m in after.json()["migrations"]} == {"baseline", "applied"}
    down = run_rung(tmp_path, "down", "--all", "-d", url)
    assert down.code == 9 and "B2__baseline" in down.err


# -- baselines: planning, pure ---------------------------------------------------------------
def test_planning_with_baselines_needs_no_database(migrations):
    write(migrations, BASELINED)
    found = flyway(migrations)
    for target, expected in [
        (None, ["B2__baseline", "V3__likes"]),
        ((2,), ["B2__baseline"]),
        ((1, 1), ["B1_1__baseline"]),
        ((1,), ["V1__users"]),
    ]:
        items = statuses(found, derive([]), lambda m, s: "changed", target=target)
        labels = [step.migration.label for step in plan_up(items, target=target).steps]
        assert labels == expected, target


def event(id: int, event: str, outcome: str, **fields: object) -> HistoryEvent:
    """A history row about the baseline B2__baseline."""
    values: dict = {
        "checksum": None,
        "checksum_version": 1,
        "sql_checksum": None,
        "statements_done": None,
        "statement_hashes": (),
        "error": None,
        "started_at": datetime(2026, 11, 27, tzinfo=UTC),
        "duration_ms": None,
        "db_user": None,
        "os_user": None,
        "host": None,
        "rung_version": None,
    }
    values.update(fields)
    return HistoryEvent(id, (2,), "2", "baseline", event, outcome, **values)


def test_an_interrupted_baseline_waits_for_repair(migrations):
    write(migrations, BASELINED)
    found = flyway(migrations)

    def labels(events: list[HistoryEvent]) -> dict[str, str]:
        return {s.label: s.state for s in statuses(found, derive(events), lambda m, s: "")}

    killed = [event(1, "baseline", "running")]
    assert labels(killed)["B2__baseline"] == "failed"
    with pytest.raises(RequestRefused, match="B2__baseline was interrupted"):
        plan_up(statuses(found, derive(killed), lambda m, s: ""))
    undone = [*killed, event(2, "repair", "pending")]
    assert labels(undone)["B2__baseline"] == "pending"
    finished = [*killed, event(2, "repair", "applied")]
    assert labels(finished) == {
        "V1__users": "baseline",
        "V1_1__posts": "baseline",
        "V2__tags": "baseline",
        "V3__likes": "pending",
    }
    items = statuses(found, derive(finished), lambda m, s: "")
    assert [step.migration.label for step in plan_up(items).steps] == ["V3__likes"]
    with pytest.raises(RequestRefused, match="past the baseline B2__baseline"):
        plan_down(items, everything=True)


def test_rung_baseline_without_a_file_still_rolls_back_below_it(migrations):
    """`rung baseline VERSION` says the database was migrated by other means: its
    migrations' downs still apply, unlike a baseline file's."""
    write(migrations, {k: v for k, v in BASELINED.items() if not k.startswith("B")})
    found = flyway(migrations)
    items = statuses(found, derive([event(1, "baseline", "success")]), lambda m, s: "")
    plan = plan_down(items, everything=True)
    assert [step.migration.label for step in plan.steps][-1] == "V1__users"


# -- baselines: an edited baseline file ----------------------------------------------------------
EDITED_BASELINE = BASELINED["B2__baseline.sql"] + "CREATE TABLE extra (id INT);\n"
LATER = {"V4__later.sql": "CREATE TABLE later (id INT);\n"}


def test_an_edited_baseline_that_ran_stops_up_and_down_until_repaired(backend, migrations):
    write(migrations, BASELINED)
    m = migrator(backend, migrations)
    m.up()
    rows = history(backend)
    write(migrations, {"B2__baseline.sql": EDITED_BASELINE, **LATER})

    report = m.status()
    assert {s.label: s.state for s in report.migrations} == {
        "V1__users": "baseline",
        "V1_1__posts": "baseline",
        "V2__tags": "baseline",
        "B2__baseline": "modified",
        "V3__likes": "applied",
        "V4__later": "pending",
    }
    edited = next(s for s in report.migrations if s.state == "modified")
    assert edited.change == "the SQL of the up section changed"
    assert edited.applied.applied_at is not None  # when it ran here
    assert not report.up_to_date
    for run in (m.up, lambda: m.down(target=(2,))):
        with pytest.raises(InvalidMigrations) as error:
            run()
        assert list(error.value.details) == [
            f"{migrations / 'B2__baseline.sql'}: changed since it was applied "
            "(the SQL of the up section changed)"
        ]
        assert "rung repair" in error.value.hint
    assert history(backend) == rows  # nothing ran, nothing was rolled back
    assert "later" not in backend.tables() and "likes" in backend.tables()
    # drift replays the migrations the baseline stands in for, never the baseline file
    drift = m.drift()
    assert drift.migrations == ("V1__users", "V1_1__posts", "V2__tags", "V3__likes")
    assert not drift.drifted, drift.changes

    assert [item.label for item in m.repair()] == ["B2__baseline"]
    assert history(backend) == [*rows, ("2", "repair", "applied")]
    assert {s.label: s.state for s in m.status().migrations} == {
        "V1__users": "baseline",
        "V1_1__posts": "baseline",
        "V2__tags": "baseline",  # the repair accepted the baseline file, not V2's
        "V3__likes": "applied",
        "V4__later": "pending",
    }
    assert [s.migration.label for s in m.up().steps] == ["V4__later"]
    assert m.status().up_to_date
    assert not m.repair()  # nothing left to accept


def test_rung_status_up_and_repair_name_the_edited_baseline(tmp_path, backend, migrations):
    write(migrations, BASELINED)
    (tmp_path / "rung.toml").write_text('format = "flyway"\n')
    url = backend.url.text
    assert run_rung(tmp_path, "up", "-d", url).code == 0
    comment = "-- the schema of release 2\n"
    write(migrations, {"B2__baseline.sql": comment + BASELINED["B2__baseline.sql"]})

    status = run_rung(tmp_path, "status", "--exit-code", "-d", url)
    assert status.code == 8, status.text
    assert "B2__baseline: edited after it was applied: only comments" in status.out
    listed = run_rung(tmp_path, "status", "-d", url, "--json").json()["migrations"]
    assert {"version": "2", "name": "baseline", "state": "modified"}.items() <= listed[3].items()
    up = run_rung(tmp_path, "up", "-d", url)
    assert up.code == 5, up.text
    assert "B2__baseline.sql: changed since it was applied" in up.err
    assert "nothing was run" in up.err and "rung repair" in up.err
    assert run_rung(tmp_path, "repair", "-d", url).code == 0
    assert run_rung(tmp_path, "status", "--exit-code", "-d", url).code == 0
    assert run_rung(tmp_path, "up", "-d", url).code == 0


def test_a_baseline_file_that_never_ran_here_is_never_reported(backend, migrations):
    write(migrations, {k: v for k, v in BASELINED.items() if not k.startswith("B")})
    m = migrator(backend, migrations)
    m.up(target=(1,))
    # The database had a migration: the baseline files stay ignored, whatever they hold.
    write(migrations, {"B1_1__baseline.sql": "CREATE TABLE other (id INT);\n"})
    write(migrations, {"B2__baseline.sql": EDITED_BASELINE})
    m.up()
    write(migrations, {"B2__baseline.sql": EDITED_BASELINE + "CREATE TABLE more (id INT);\n"})
    report = m.status()
    assert report.up_to_date and report.count("modified") == 0
    assert not any(s.migration and s.migration.baseline for s in report.migrations)
    assert not m.repair()


def ran(checksum: str | None, version: str = "2", **fields: object) -> HistoryEvent:
    """The run of the baseline file at `version` (no checksum: `rung baseline VERSION`)."""
    parsed = tuple(int(part) for part in version.split("_"))
    values = {"checksum": checksum, "sql_checksum": None, **fields}
    return replace(event(1, "baseline", "success", **values), version=parsed, version_text=version)


def test_only_the_baseline_file_that_ran_is_compared_with_its_run(migrations):
    write(migrations, BASELINED)
    found = flyway(migrations)
    files = {m.label: m for m in found}

    def states(events: list[HistoryEvent]) -> dict[str, str]:
        items = statuses(found, derive(events), lambda m, s: "edited")
        return {s.label: s.state for s in items}

    assert states([ran("as it was")])["B2__baseline"] == "modified"
    assert "B2__baseline" not in states([ran(files["B2__baseline"].checksum)])
    assert "B2__baseline" not in states([ran(None)])  # `rung baseline 2` ran no file
    # B1_1 ran; B2 never did, so its content does not matter here.
    older = states([ran(files["B1_1__baseline"].checksum, "1_1")])
    assert "B2__baseline" not in older and "B1_1__baseline" not in older
    assert states([ran("as it was", "1_1")])["B1_1__baseline"] == "modified"
    # `rung repair` accepts the file as it is now; V2, which the baseline stands in for, stays
    accepted = [ran("as it was"), event(2, "repair", "applied", checksum="as it is")]
    assert states(accepted) == {
        "V1__users": "baseline",
        "V1_1__posts": "baseline",
        "V2__tags": "baseline",
        "B2__baseline": "modified",  # "as it is" is not the file's checksum either
        "V3__likes": "pending",
    }
    accepted[1] = event(2, "repair", "applied", checksum=files["B2__baseline"].checksum)
    assert "B2__baseline" not in states(accepted)
    assert states(accepted)["V2__tags"] == "baseline"


def test_an_edited_baseline_is_refused_by_planning(migrations):
    write(migrations, BASELINED)
    found = flyway(migrations)
    items = statuses(found, derive([ran("as it was")]), lambda m, s: "edited")
    for plan in (plan_up, lambda items: plan_down(items, target=(2,))):
        with pytest.raises(InvalidMigrations, match="no longer match their files"):
            plan(items)


# -- versions: trailing zeros ---------------------------------------------------------------------
def test_trailing_zeros_do_not_make_another_flyway_version(migrations):
    write(
        migrations,
        {
            "V1__a.sql": "SELECT 1;\n",
            "V1.0__b.sql": "SELECT 2;\n",
            "V2__c.sql": "SELECT 3;\n",
            "V2_0_0__d.sql": "SELECT 4;\n",
            "V2.1__e.sql": "SELECT 5;\n",  # a version of its own
        },
    )
    with pytest.raises(InvalidMigrations) as error:
        flyway(migrations)
    note = "in the flyway layout {} and {} are one version: trailing zeros do not count"
    assert list(error.value.details) == [
        f"{migrations / 'V1__a.sql'}: version 1 is also used by V1.0__b.sql "
        f"({note.format('1', '1.0')})",
        f"{migrations / 'V2__c.sql'}: version 2 is also used by V2_0_0__d.sql "
        f"({note.format('2', '2.0.0')})",
    ]


def test_an_undo_file_pairs_with_its_migration_whatever_its_trailing_zeros(migrations):
    write(migrations, {"V1__a.sql": "CREATE TABLE a (id INT);\n", "U1.0__a.sql": "DROP TABLE a;\n"})
    (migration,) = flyway(migrations)
    assert (migration.version, migration.version_text) == ((1,), "1")
    assert migration.has_down and migration.down_path.name == "U1.0__a.sql"


def test_rung_own_layout_still_tells_1_from_1_0(migrations):
    write(migrations, {"1_a.sql": "SELECT 1;\n", "1.0_b.sql": "SELECT 2;\n"})
    assert [m.version for m in discover(migrations)] == [(1,), (1, 0)]


def test_rung_up_refuses_a_flyway_folder_with_1_and_1_0(tmp_path, migrations):
    write(migrations, {"V1__a.sql": "CREATE TABLE a (id INT);\n", "V1.0__b.sql": "SELECT 1;\n"})
    (tmp_path / "rung.toml").write_text('format = "flyway"\n')
    url = f"sqlite:///{tmp_path / 'app.db'}"
    result = run_rung(tmp_path, "up", "-d", url)
    assert result.code == 5, result.text
    assert "V1__a.sql: version 1 is also used by V1.0__b.sql" in result.err
    assert not (tmp_path / "app.db").exists() or "a" not in _tables(tmp_path / "app.db")


def _tables(path: Path) -> set[str]:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
