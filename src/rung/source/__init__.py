"""Finding migration files and reading them into Migration values."""

from rung.source.native import CHECKSUM_VERSION, checksum, discover

__all__ = ["CHECKSUM_VERSION", "checksum", "discover"]
