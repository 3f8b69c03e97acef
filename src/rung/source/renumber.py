"""`rung rebase`: give a not-yet-applied migration a new version after the newest one.

Works on file names, not on `discover`, because the folder it repairs may hold what a
merge left behind (two files with one version, a rung.sum with conflict markers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from rung.errors import RequestRefused
from rung.model import Version, format_version
from rung.source.integrity import migration_files, version_of

_STAMP = "%Y%m%d%H%M%S"


def files_of(directory: Path, version: Version) -> list[Path]:
    """The file(s) of the migration at `version`; refuses when none, or several migrations."""
    files = [p for p in migration_files(directory) if version_of(p.name) == version]
    if not files:
        raise RequestRefused(
            f"no migration file has version {format_version(version)} in {directory}",
            hint="`rung status` lists the versions",
        )
    names = {_base(p.name) for p in files}
    if len(names) > 1:
        raise RequestRefused(
            f"several migrations have version {format_version(version)}: "
            + ", ".join(p.name for p in files),
            hint="rename one of them by hand to a new version, then run `rung hash`",
        )
    return files


def _base(name: str) -> str:
    """`001_x.up.sql` -> `x`: the migration's name, without direction or extension."""
    rest = name.split("_", 1)[1]
    for suffix in (".up.sql", ".down.sql", ".sql", ".py"):
        if rest.endswith(suffix):
            return rest.removesuffix(suffix)
    return rest


def next_version(directory: Path, now: datetime) -> str:
    """A UTC timestamp version above every version in the folder."""
    versions = [v for p in migration_files(directory) if (v := version_of(p.name))]
    stamp = now.astimezone(UTC).replace(tzinfo=None)
    highest = max(versions, default=None)
    if highest is not None and (int(stamp.strftime(_STAMP)),) <= highest:
        try:
            stamp = datetime.strptime(str(highest[0]), _STAMP) + timedelta(seconds=1)
        except ValueError:  # a version that is not a timestamp: count on from it
            return str(highest[0] + 1)
        if (int(stamp.strftime(_STAMP)),) <= highest:  # a dotted version such as 2026….1
            return str(highest[0] + 1)
    return stamp.strftime(_STAMP)


def renumber(directory: Path, version: Version, now: datetime) -> list[tuple[Path, Path]]:
    """Rename the migration's file(s) to a new version, keeping the name part."""
    files = files_of(directory, version)
    new = next_version(directory, now)
    renamed = []
    for path in files:
        target = path.with_name(f"{new}_{path.name.split('_', 1)[1]}")
        if target.exists():
            raise RequestRefused(f"cannot rename {path.name}: {target.name} exists already")
        renamed.append((path, target))
    for path, target in renamed:
        path.rename(target)
    return renamed
