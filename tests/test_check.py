"""`rung hash`, `rung rebase`, `rung check` and `rung up` with rung.sum, run as users run them."""

from __future__ import annotations

import json
import re

import pytest

from conftest import POSTS, TAGS, USERS, Backend, run_rung, write

SUM = "rung.sum"


def applied(backend: Backend) -> list[str]:
    return [
        str(row[0]) for row in backend.history_rows() if row[1] == "apply" and row[2] == "success"
    ]


# -- hash and check without a database --------------------------------------------------------


def test_hash_writes_rung_sum_and_check_passes(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS, "002_posts.sql": POSTS})
    result = run_rung(tmp_path, "hash")
    assert result.code == 0, result.err
    text = (migrations / SUM).read_text()
    assert text.startswith("rung-sum 1\n") and "001_users.sql" in text
    check = run_rung(tmp_path, "check", "--dialect", "sqlite")
    assert check.code == 0, check.out + check.err
    assert "check passed" in check.out
    document = run_rung(tmp_path, "check", "--dialect", "sqlite", "--json").json()
    assert document["ok"] is True and document["problems"] == []
    assert document["migrations"] == 2 and document["dialect"] == "sqlite"


def test_check_fails_on_a_stale_sum_naming_the_files(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS})
    run_rung(tmp_path, "hash")
    write(migrations, {"001_users.sql": USERS + "-- edited\n", "002_posts.sql": POSTS})
    result = run_rung(tmp_path, "check", "--dialect", "sqlite")
    assert result.code == 12, result.out + result.err
    assert re.search(r"error\[integrity\] .*001_users\.sql: changed", result.out)
    assert re.search(r"error\[integrity\] .*002_posts\.sql: added", result.out)
    document = run_rung(tmp_path, "check", "--dialect", "sqlite", "--json").json()
    assert document["ok"] is False and document["errors"] == 2
    assert {p["kind"] for p in document["problems"]} == {"integrity"}


def test_check_without_rung_sum_or_dialect_passes_with_a_warning(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS})
    result = run_rung(tmp_path, "check")
    assert result.code == 0, result.out + result.err
    assert "warning[lint] lint skipped" in result.out
    assert not (migrations / SUM).exists()


def test_check_fails_on_duplicate_versions_and_invalid_files(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS, "001_posts.sql": POSTS, "x.sql": TAGS})
    result = run_rung(tmp_path, "check", "--dialect", "sqlite", "--json")
    assert result.code == 12
    problems = result.json()["problems"]
    assert all(p["kind"] == "invalid" for p in problems)
    text = " ".join(p["message"] for p in problems)
    assert "also used by" in text and "x.sql" in text


def test_lint_errors_fail_the_check_and_warnings_do_not(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS})
    clean = run_rung(tmp_path, "check", "--dialect", "postgresql")
    assert clean.code == 0, clean.out
    write(migrations, {"002_plan.sql": "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL;\n"})
    result = run_rung(tmp_path, "check", "--dialect", "postgresql")
    assert result.code == 12, result.out + result.err
    assert "error[lint]" in result.out and "add-required-column" in result.out
    warn = tmp_path / "w"
    (warn / "migrations").mkdir(parents=True)
    write(warn / "migrations", {"001_t.sql": "CREATE TABLE t (id INTEGER);\n"})
    only_warnings = run_rung(warn, "check", "--dialect", "sqlite")
    assert only_warnings.code == 0, only_warnings.out
    assert "warning[lint]" in only_warnings.out


# -- new ---------------------------------------------------------------------------------------


def test_new_refreshes_an_existing_sum_but_creates_none(tmp_path, migrations):
    assert run_rung(tmp_path, "new", "first").code == 0
    assert not (migrations / SUM).exists()
    assert run_rung(tmp_path, "hash").code == 0
    result = run_rung(tmp_path, "new", "second")
    assert result.code == 0, result.err
    assert "refreshed" in result.out
    assert "_second.sql" in (migrations / SUM).read_text()
    assert run_rung(tmp_path, "check", "--dialect", "sqlite").code == 0


def test_new_refuses_a_sum_left_broken_by_a_merge(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS})
    run_rung(tmp_path, "hash")
    path = migrations / SUM
    path.write_text(path.read_text() + "<<<<<<< HEAD\n")
    result = run_rung(tmp_path, "new", "more")
    assert result.code == 5
    assert "rung.sum" in result.err and "rung rebase" in result.err
    assert sorted(p.name for p in migrations.iterdir()) == ["001_users.sql", SUM]


# -- with a database ------------------------------------------------------------------------------


def test_up_refuses_a_stale_sum_before_connecting(tmp_path, migrations, backend):
    url = backend.url.text
    write(migrations, {"001_users.sql": USERS})
    run_rung(tmp_path, "hash")
    write(migrations, {"002_posts.sql": POSTS})
    for args in (("up", "--dry-run"), ("up",)):
        result = run_rung(tmp_path, *args, "-d", url)
        assert result.code == 5, result.out + result.err
        assert "rung.sum does not match" in result.err and "002_posts.sql: added" in result.err
    assert "rung_history" not in backend.tables()
    assert run_rung(tmp_path, "hash").code == 0
    up = run_rung(tmp_path, "up", "-d", url)
    assert up.code == 0, up.err
    assert applied(backend) == ["001", "002"]


def test_check_against_a_database_finds_out_of_order_and_edited_files(
    tmp_path, migrations, backend
):
    url = backend.url.text
    write(migrations, {"002_posts.sql": POSTS})
    assert run_rung(tmp_path, "up", "-d", url).code == 0
    write(migrations, {"001_users.sql": USERS})
    result = run_rung(tmp_path, "check", "-d", url, "--json")
    assert result.code == 12, result.out + result.err
    [problem] = [p for p in result.json()["problems"] if p["kind"] != "lint"]
    assert problem["kind"] == "out-of-order" and problem["severity"] == "error"
    assert "001_users.sql" in problem["message"] and "rung rebase" in problem["message"]
    allowed = run_rung(tmp_path, "check", "-d", url, "--allow-out-of-order")
    assert allowed.code == 0, allowed.out + allowed.err
    assert "warning[out-of-order]" in allowed.out
    assert run_rung(tmp_path, "up", "-d", url, "--allow-out-of-order").code == 0
    assert run_rung(tmp_path, "check", "-d", url).code == 0
    write(migrations, {"002_posts.sql": POSTS.replace("100", "120")})
    edited = run_rung(tmp_path, "check", "-d", url)
    assert edited.code == 12
    assert re.search(
        r"error\[modified\] .*002_posts\.sql: changed since it was applied", edited.out
    )


def test_rebase_renumbers_a_pending_migration_and_refuses_an_applied_one(
    tmp_path, migrations, backend
):
    url = backend.url.text
    write(migrations, {"20260101000000_users.sql": USERS})
    assert run_rung(tmp_path, "up", "-d", url).code == 0
    # what arrives with the merge: a newer migration from main, and ours, older
    write(
        migrations,
        {
            "20260301000000_posts.sql": POSTS,
            "20260201000000_tags.up.sql": TAGS.split("-- rung:down")[0].replace("-- rung:up", ""),
            "20260201000000_tags.down.sql": "DROP TABLE tags;\n",
        },
    )
    assert run_rung(tmp_path, "hash").code == 0
    refused = run_rung(tmp_path, "rebase", "20260101000000", "-d", url)
    assert refused.code == 9, refused.out + refused.err
    assert "is applied" in refused.err
    assert (migrations / "20260101000000_users.sql").exists()
    result = run_rung(tmp_path, "rebase", "20260201000000", "-d", url, "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    new_version = document["new_version"]
    assert int(new_version) > 20260301000000 and len(new_version) == 14
    names = sorted(p.name for p in migrations.iterdir())
    assert names == sorted(
        [
            "20260101000000_users.sql",
            "20260301000000_posts.sql",
            f"{new_version}_tags.down.sql",
            f"{new_version}_tags.up.sql",
            SUM,
        ]
    )
    check = run_rung(tmp_path, "check", "-d", url)
    assert check.code == 0, check.out + check.err
    assert run_rung(tmp_path, "up", "-d", url).code == 0
    assert applied(backend) == ["20260101000000", "20260301000000", new_version]


def test_rebase_repairs_a_sum_with_conflict_markers(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS, "003_tags.sql": TAGS, "002_posts.sql": POSTS})
    (migrations / SUM).write_text("rung-sum 1\n<<<<<<< HEAD\n=======\n>>>>>>> theirs\n")
    assert run_rung(tmp_path, "check", "--dialect", "sqlite").code == 12
    result = run_rung(tmp_path, "rebase", "2")
    assert result.code == 0, result.err
    assert not (migrations / "002_posts.sql").exists()
    assert run_rung(tmp_path, "check", "--dialect", "sqlite").code == 0


@pytest.mark.parametrize("version", ["7", "x"])
def test_rebase_of_an_unknown_version_is_refused(tmp_path, migrations, version):
    write(migrations, {"001_users.sql": USERS})
    result = run_rung(tmp_path, "rebase", version)
    assert result.code in (2, 9), result.err
    assert (migrations / "001_users.sql").exists()


def test_rebase_refuses_a_version_two_migrations_share(tmp_path, migrations):
    """Two branches with `--sequential` both added 002: rung cannot tell which is yours."""
    write(migrations, {"001_users.sql": USERS, "002_posts.sql": POSTS, "002_tags.sql": TAGS})
    assert run_rung(tmp_path, "check", "--dialect", "sqlite").code == 12
    result = run_rung(tmp_path, "rebase", "002")
    assert result.code == 9
    assert "002_posts.sql" in result.err and "002_tags.sql" in result.err
    assert sorted(p.name for p in migrations.iterdir()) == [
        "001_users.sql",
        "002_posts.sql",
        "002_tags.sql",
    ]


# -- the committed schema dump -----------------------------------------------------------------


def test_up_dump_writes_what_rung_dump_writes_and_check_dump_keeps_it_honest(
    backend, tmp_path, migrations
):
    url = backend.url.text
    write(migrations, {"001_users.sql": USERS})
    up = run_rung(tmp_path, "up", "--dump", "-d", url)
    assert up.code == 0, up.err
    committed = (tmp_path / "schema.sql").read_text()
    assert "CREATE TABLE users" in committed
    assert run_rung(tmp_path, "dump", "-o", "-", "-d", url).out == committed
    assert run_rung(tmp_path, "check", "--dump", "-d", url).code == 0

    write(migrations, {"002_posts.sql": POSTS})  # a new migration, dump not refreshed
    stale = run_rung(tmp_path, "check", "--dump", "-d", url)
    assert stale.code == 12
    assert "schema.sql is not the schema the migrations build" in stale.out + stale.err
    assert "+CREATE TABLE posts (" in stale.out + stale.err

    assert run_rung(tmp_path, "up", "--dump", "-d", url).code == 0
    assert run_rung(tmp_path, "check", "--dump", "-d", url).code == 0


def test_check_dump_without_a_dump_file_or_database(tmp_path, migrations):
    write(migrations, {"001_users.sql": USERS})
    no_db = run_rung(tmp_path, "check", "--dump", "--dialect", "sqlite")
    assert no_db.code == 12 and "--dump needs a database URL" in no_db.out + no_db.err
    no_file = run_rung(tmp_path, "check", "--dump", "nowhere.sql", "-d", "sqlite:///a.db")
    assert no_file.code == 12 and "nowhere.sql does not exist" in no_file.out + no_file.err
