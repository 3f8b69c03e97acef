"""Prisma Migrate: `prisma/migrations/<timestamp>_<name>/migration.sql`, up only.

Each migration is a folder named `<digits>_<name>` (`20260101120000_init`, or Prisma's
baselining `0_init`) holding `migration.sql`; Prisma has no down. Files beside the folders
(`migration_lock.toml`) and other files inside them are not read.

Prisma records a migration in `_prisma_migrations` by its folder name (`migration_name`,
here the migration's `label`) and the SHA-256 of `migration.sql` as hex (`checksum`).
rung's checksum of the same file is that SHA-256 once CRLF/CR line endings are made LF,
so for files with LF endings (what Prisma writes) the two are equal; `checksum_matches`
applies Prisma's own comparison, which also accepts the other line ending.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from rung.errors import InvalidMigrations
from rung.model import Content, Migration
from rung.source.adapters.base import FileName, Layout, NewMigration

NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+)$")
HINT = (
    "Prisma Migrate keeps each migration in a folder <timestamp>_<name> holding "
    "migration.sql, e.g. prisma/migrations/20260101120000_init/migration.sql"
)
SCRIPT = "migration.sql"


@dataclass(frozen=True)
class PrismaLayout(Layout):
    def match(self, file_name: str) -> FileName | str:
        found = NAME.fullmatch(file_name)
        if found is None:
            return "not a Prisma migration folder name (<timestamp>_<name>)"
        return FileName((int(found["version"]),), found["name"], "up", found["version"], file_name)

    def new_files(self, new: NewMigration) -> dict[str, str]:
        """A folder with migration.sql, as `prisma migrate dev --create-only` makes it."""
        return {f"{new.version}_{new.name}/{SCRIPT}": "-- This is an empty migration.\n"}


def split(migration: Migration) -> Content:
    """migration.sql is all up: `-- rung:no-transaction` is read, `-- rung:down` refused."""
    from rung.source.native import _Problems, _script

    problems = _Problems()
    up = _script(migration.path, migration.text, problems, "a Prisma migration.sql (no down)")
    if problems.lines:
        raise InvalidMigrations(
            f"{migration.path}: cannot be read as a migration",
            details=problems.lines,
            hint="fix the file, then run the command again",
        )
    return Content(up, None, False)


def migration_name(migration: Migration) -> str:
    """The name `_prisma_migrations.migration_name` records: the folder's name."""
    return migration.path.parent.name


def prisma_checksum(data: bytes) -> str:
    """What Prisma writes to `_prisma_migrations.checksum`: SHA-256 of migration.sql, hex."""
    return hashlib.sha256(data).hexdigest()


def checksum_matches(migration: Migration, recorded: str) -> bool:
    """Whether Prisma would take `recorded` as this migration.sql's checksum.

    Prisma compares against the file as it is, with CRLF made LF, and with LF made CRLF,
    so a checkout with other line endings still matches; early Prisma versions wrote the
    hex digits of each byte without zero padding, which it still accepts.
    """
    data = migration.path.read_bytes()
    for variant in (data, data.replace(b"\r\n", b"\n"), data.replace(b"\n", b"\r\n")):
        digest = hashlib.sha256(variant).digest()
        if recorded in (digest.hex(), "".join(f"{byte:x}" for byte in digest)):
            return True
    return False


LAYOUT = PrismaLayout("prisma", NAME, HINT, splitter=split, folder_files={"up": SCRIPT})
