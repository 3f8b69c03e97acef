"""Split authors.full_name into first_name and last_name (a data migration)."""

from sqlalchemy import text


def up(conn):
    conn.execute(text("ALTER TABLE authors ADD COLUMN first_name VARCHAR(100)"))
    conn.execute(text("ALTER TABLE authors ADD COLUMN last_name VARCHAR(100)"))
    rows = conn.execute(text("SELECT id, full_name FROM authors")).all()
    for author_id, full_name in rows:
        first, _, last = full_name.partition(" ")
        conn.execute(
            text("UPDATE authors SET first_name = :first, last_name = :last WHERE id = :id"),
            {"first": first, "last": last, "id": author_id},
        )


def down(conn):
    conn.execute(text("ALTER TABLE authors DROP COLUMN last_name"))
    conn.execute(text("ALTER TABLE authors DROP COLUMN first_name"))
