"""The Data page parses an upload once per content (the parse of a wide table is not repeated per rerun)."""

from __future__ import annotations

import warnings


def test_upload_is_parsed_once_per_content(monkeypatch):
    import ui.upload as up

    calls = []
    real = up.parse_table

    def counting(data, *, name=""):
        calls.append(name)
        return real(data, name=name)

    monkeypatch.setattr(up, "parse_table", counting)
    up._parsed.clear()
    a = b"x,y\n1,2\n3,4\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no runtime" notices outside a Streamlit server
        first = up.parse_upload(a, "a.csv")
        again = up.parse_upload(bytes(a), "a.csv")
        other = up.parse_upload(b"x,y\n5,6\n7,8\n", "a.csv")
    assert calls == ["a.csv", "a.csv"]
    assert first.equals(again) and not first.equals(other)
