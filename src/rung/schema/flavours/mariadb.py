"""MariaDB: as MySQL (the dialect tells them apart; the catalogs and the dump do not)."""

from __future__ import annotations

from rung.schema.flavours.mysql import FLAVOUR

__all__ = ["FLAVOUR"]
