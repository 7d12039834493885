"""The search-space editor's table: rows from a space and back, tokens parsed as the user typed them."""

from __future__ import annotations

from tuning.models import get_model
from tuning.space import SearchSpace
from tuning.space_table import format_value, parse_token, parse_values, rows_to_space, space_to_rows


def test_tokens_and_lists_parse_to_typed_values():
    assert parse_token("3") == 3 and parse_token("0.5") == 0.5 and parse_token("gbtree") == "gbtree"
    assert parse_values("1, 2, 3") == [1, 2, 3]
    assert format_value(0.1) and format_value("sqrt") == "sqrt"


def test_a_default_space_survives_the_table():
    family = get_model("xgboost")
    rows = space_to_rows(family)
    back = rows_to_space(rows)
    a, b = SearchSpace.from_dict(back), family.space()
    assert set(a.names) <= set(b.names) | set(family.extra_space) and set(b.names) <= set(a.names)
