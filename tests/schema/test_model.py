"""Normalisation: one spelling per type and default, whatever the server says."""

from __future__ import annotations

import pytest

from rung.schema.model import normalise_default, normalise_expression, normalise_type


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("INTEGER", "integer"),
        ("int4", "integer"),
        ("INT(11)", "integer"),
        ("int(10) unsigned", "int unsigned"),
        ("BIGINT(20)", "bigint"),
        ("int8", "bigint"),
        ("TINYINT(1)", "boolean"),
        ("bool", "boolean"),
        ("character varying(255)", "varchar(255)"),
        ("VARCHAR( 255 )", "varchar(255)"),
        ("DECIMAL(10, 2)", "numeric(10,2)"),
        ("NUMERIC(10,2)", "numeric(10,2)"),
        ("timestamp without time zone", "timestamp"),
        ("TIMESTAMP WITH TIME ZONE", "timestamptz"),
        ("double", "double precision"),
        ("text", "text"),
    ],
)
def test_types_are_normalised_per_family(given, expected):
    assert normalise_type(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        ("NULL", None),
        ("'x'::character varying", "'x'"),
        ("(0)", "0"),
        ("current_timestamp()", "CURRENT_TIMESTAMP"),
        ("now()", "CURRENT_TIMESTAMP"),
        ("FALSE", "false"),
        ("'a'", "'a'"),
    ],
)
def test_defaults_are_normalised(given, expected):
    assert normalise_default(given) == expected


def test_expressions_lose_quotes_outer_parentheses_and_extra_spaces():
    assert normalise_expression("((`age`  >= 0))") == "age >= 0"
    assert normalise_expression("(a > 0) AND (b > 0)") == "(a > 0) AND (b > 0)"
