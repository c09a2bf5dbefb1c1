"""Inline suppressions on the line, the line above, any line of a statement."""

from __future__ import annotations

from apisec_lint.testing import check_snippet

HEAD = "import requests\n"


def codes(src: str, **kw) -> list[tuple[str, int]]:
    # the sample calls have no timeout; APS303 is not what these tests are about
    return [(f.rule, f.span.line) for f in check_snippet(HEAD + src, **kw)
            if f.rule != "APS303"]


def test_same_line_by_code_and_by_name() -> None:
    assert codes("requests.get(u, verify=False)  # apisec: ignore[APS201]\n") == []
    assert codes("requests.get(u, verify=False)  # apisec: ignore[tls-verify-disabled]\n") == []


def test_line_above_only_when_standalone() -> None:
    assert codes("# apisec: ignore[APS201] -- staging box\nrequests.get(u, verify=False)\n") == []
    found = codes("x = 1  # apisec: ignore[APS201]\nrequests.get(u, verify=False)\n")
    assert ("APS201", 3) in found and ("APS004", 2) in found


def test_any_line_of_a_multiline_statement() -> None:
    src = "requests.get(\n    u,\n    verify=False,\n)  # apisec: ignore[APS201]\n"
    assert codes(src) == []
    src = "requests.get(  # apisec: ignore[APS201]\n    u,\n    verify=False,\n)\n"
    assert codes(src) == []


def test_other_code_does_not_suppress() -> None:
    found = codes("requests.get(u, verify=False)  # apisec: ignore[APS101]\n")
    assert ("APS201", 2) in found


def test_bare_ignore_needs_a_reason() -> None:
    assert codes("requests.get(u, verify=False)  # apisec: ignore -- self-signed lab\n") == []
    found = codes("requests.get(u, verify=False)  # apisec: ignore\n")
    assert ("APS005", 2) in found and ("APS201", 2) in found


def test_malformed_and_unknown_codes() -> None:
    assert ("APS005", 2) in codes("x = 1  # apisec: ignroe[APS201]\n")
    assert ("APS005", 2) in codes("x = 1  # apisec: ignore[]\n")
    assert ("APS005", 2) in codes("x = 1  # apisec: ignore[APS201] because\n")
    assert ("APS005", 2) in codes("requests.get(u, verify=False)  # apisec: ignore[NOPE1]\n")


def test_unused_suppression_is_reported() -> None:
    assert codes("x = 1  # apisec: ignore[APS201]\n") == [("APS004", 2)]
    assert codes("x = 1  # apisec: ignore -- leftover\n") == [("APS004", 2)]


def test_directive_inside_a_string_is_not_a_suppression() -> None:
    found = codes('requests.get(u, verify=False, headers={"x": "# apisec: ignore[APS201]"})\n')
    assert ("APS201", 2) in found


def test_no_suppressions_flag_shows_everything(cli, tmp_path) -> None:
    line = "requests.get(u, verify=False, timeout=5)  # apisec: ignore[APS201]\n"
    (tmp_path / "b.py").write_text(HEAD + line)
    assert cli.json("b.py")["findings"] == []
    found = cli.json("--no-suppressions", "b.py")["findings"]
    assert [f["rule"] for f in found] == ["APS201"]
