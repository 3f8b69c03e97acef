"""docs/lint.md lists every rule, and its bad and good examples do what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rung.config import LintSettings
from rung.lint import RULES, lint, load_files

DOCS = Path(__file__).parents[2] / "docs" / "lint.md"
_SECTION = re.compile(r"^### `([a-z0-9-]+)`\n(.*?)(?=^##)", re.M | re.S)
_EXAMPLE = re.compile(
    r"^(Bad|Good)(?: \(with `target_version = \"([\d.]+)\"`\))?:\n\n```sql\n(.*?)```", re.M | re.S
)


def sections() -> dict[str, str]:
    return dict(_SECTION.findall(DOCS.read_text(encoding="utf-8") + "\n## end"))


def test_every_rule_is_documented_with_its_severity_and_dialects():
    documented = sections()
    assert set(documented) == set(RULES)
    table = DOCS.read_text(encoding="utf-8").split("## Rules", 1)[1]
    for rule in RULES.values():
        dialects = "all" if len(rule.dialects) == 4 else ", ".join(rule.dialects)
        assert f"| [`{rule.id}`](#{rule.id}) | {rule.severity} | {dialects} |" in table
        heading = f"**{rule.title}** · {rule.severity} · "
        assert heading in documented[rule.id], rule.id


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_bad_example_triggers_the_rule_and_the_good_one_does_not(rule_id, tmp_path):
    examples = _EXAMPLE.findall(sections()[rule_id])
    assert [kind for kind, _, _ in examples] == ["Bad", "Good"], rule_id
    dialect = RULES[rule_id].dialects[0]
    for kind, version, sql in examples:
        path = tmp_path / f"{kind}.sql"
        path.write_text(sql, encoding="utf-8")
        settings = LintSettings(target_version=version or None)
        found = {f.rule for f in lint(load_files([path]), dialect=dialect, settings=settings)}
        assert (rule_id in found) == (kind == "Bad"), (kind, sql)
