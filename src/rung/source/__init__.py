"""Finding migration files and reading them into Migration values."""

from rung.source.native import CHECKSUM_VERSION, check, checksum, discover

__all__ = ["CHECKSUM_VERSION", "check", "checksum", "discover"]
