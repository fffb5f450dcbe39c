"""Messages an editor can act on: placeholders left by `new`, YAML hints, misspelled keys, one line per wrong value."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from conftest import Result, run_cli

FIRST = "content/editions/2026-01-15"
ALPHA = f"{FIRST}/01-alpha.md"
ABOUT = "content/pages/about.md"
BETA_SCAN = "scans/beta.json"
BETA_NOTE = f"{FIRST}/02-beta.md:3: `scan: 10.5555/Beta.2025` names scans/beta.json, which did not load (its problems are listed with it)"
REPEAT = (
    "content/editions/2026-02-26/02-alpha-again.md:3: warning: "
    "this paper is already covered in The first fixture edition (2026-01-15), by 01-alpha.md"
)


def reported(result: Result) -> list[str]:
    """The problem lines printed on stderr, without the closing count."""
    return [line for line in result.err.splitlines() if not re.match(r"\d+ (problem|warning)", line)]


def patch_scan(site: Path, name: str, change: dict[str, object]) -> None:
    """Set top-level fields of a scan file."""
    path = site / "scans" / name
    data = json.loads(path.read_text())
    data.update(change)
    path.write_text(json.dumps(data, indent=2))


# ---------------------------------------------------------------- placeholders left by `new`


def test_check_warns_about_every_placeholder_new_left_once_the_edition_is_no_draft(site: Path) -> None:
    shutil.rmtree(site / "content/editions/2026-04-09")  # the draft that covers gamma
    (site / "content/editions/2026-02-26/02-alpha-again.md").unlink()  # the fixture's one warning
    assert run_cli(site, "new", "--pick", "1").code == 0
    folder = "content/editions/2026-04-09"
    note = f"{folder}/01-paper-gamma-never-covered.md"
    assert run_cli(site, "check", "--strict", "--drafts").code == 0  # a draft may hold placeholders
    index = site / folder / "index.md"
    index.write_text(index.read_text().replace("draft: true\n", ""))
    result = run_cli(site, "check", "--strict")
    assert result.code == 1
    assert "5 warning(s), which --strict counts as problems" in result.err
    assert reported(result) == [
        f'{note}:2: warning: `headline` still holds a placeholder ("TODO: a headline on Paper Gamma: never covered"); write your own',
        f"{note}:7: warning: the text still holds a placeholder "
        '("**What happened:** TODO: who did what, and where it was published."); write your own',
        f"{note}:9: warning: the text still holds a placeholder "
        '("**What\'s interesting:** TODO: why it matters, with figures from the scan."); write your own',
        f'{folder}/index.md:2: warning: `title` still holds a placeholder ("TODO: a title for this edition"); write your own',
        f'{folder}/index.md:4: warning: the text still holds a placeholder ("…In this edition, we look at TODO."); write your own',
    ]


def test_check_warns_about_a_todo_written_by_hand_in_pages_and_notes_but_not_about_other_words(site: Path) -> None:
    (site / ABOUT).write_text(
        "---\ntitle: About\n---\nThe fixture digest exists for the tests.\n\n- Who we are: TODO\n- todo lists and TODOS are fine\n"
    )
    (site / ALPHA).write_text(
        "---\nheadline: Alpha measures things better\nscan: 2501.00001\npaper:\n  venue: TODO\ntags: [Measurement]\n---\n"
        "**What happened:** The authors of Paper Alpha built a benchmark.\n\n**What's interesting:** It is 42% better.\n"
    )
    result = run_cli(site, "check")
    assert result.code == 0, result.err
    assert reported(result) == [
        f'{ALPHA}:4: warning: `paper.venue` still holds a placeholder ("TODO"); write your own',
        REPEAT,
        f'{ABOUT}:6: warning: the text still holds a placeholder ("Who we are: TODO"); write your own',
    ]


# ---------------------------------------------------------------- YAML hints


def test_an_unquoted_colon_in_a_value_gets_a_hint_at_its_line(site: Path) -> None:
    (site / ALPHA).write_text("---\nscan: 2501.00001\nheadline: Models: a survey\n---\nBody.\n")
    (site / ABOUT).write_text('---\ndescription: The "why": our aims\ntitle: About\n---\nx\n')
    expected = [
        f'{ALPHA}:3: front matter is not valid YAML: mapping values are not allowed here; a value with ": " in it must be quoted, '
        'e.g. headline: "Models: a survey"',
        f'{ABOUT}:2: front matter is not valid YAML: mapping values are not allowed here; a value with ": " in it must be quoted, '
        "e.g. description: 'The \"why\": our aims'",
    ]
    for command in ("build", "check"):
        result = run_cli(site, command)
        assert result.code == 1
        assert reported(result) == expected


def test_front_matter_without_its_closing_fence_is_named_as_such(site: Path) -> None:
    (site / ALPHA).write_text("---\nheadline: Alpha\nscan: 2501.00001\n\n**What happened:** It is: new.\n\n- a\n")
    (site / ABOUT).write_text("---\ntitle: About\n")
    expected = [
        f'{ALPHA}:1: front matter has no closing line "---": end it with a line of three dashes before the text',
        f'{ABOUT}:1: front matter has no closing line "---": end it with a line of three dashes before the text',
    ]
    for command in ("build", "check"):
        result = run_cli(site, command)
        assert result.code == 1
        assert reported(result) == expected


# ---------------------------------------------------------------- misspelled keys


def test_a_missing_required_key_points_at_its_misspelling(site: Path) -> None:
    (site / ALPHA).write_text("---\nheading: Alpha measures things better\nscan: 2501.00001\n---\nBody.\n")
    (site / ABOUT).write_text("---\ncolour: blue\ntilte: About\n---\nx\n")
    (site / FIRST / "02-beta.md").write_text("---\ncolour: blue\nscan: 10.5555/Beta.2025\n---\nBody.\n")
    result = run_cli(site, "check")
    assert result.code == 1
    assert reported(result) == [
        f"{ALPHA}:2: `headline`: required field is missing; is `heading:` (line 2) a misspelling of it?",
        f"{FIRST}/02-beta.md:1: `headline`: required field is missing",
        f"{ABOUT}:3: `title`: required field is missing; is `tilte:` (line 3) a misspelling of it?",
    ]


# ---------------------------------------------------------------- one wrong value, one line


def test_a_wrong_value_in_a_union_typed_scan_field_is_one_line(site: Path) -> None:
    claims = json.loads((site / "scans" / "beta.json").read_text())["claims"]
    claims[0]["supported"] = 5
    threads = [{"id": [1]}, {"id": 2**60}, {"id": "45678", "points": "12"}]
    patch_scan(site, "beta.json", {"claims": claims, "hn_data": {"threads": threads}})
    result = run_cli(site, "check")
    assert result.code == 1
    assert reported(result) == [
        BETA_NOTE,
        f"{BETA_SCAN}: $.claims[0].supported: input should be a string, a boolean or null (found integer)",
        f"{BETA_SCAN}: $.hn_data.threads[0].id: input should be an integer, a string or null (found list)",
        f"{BETA_SCAN}: $.hn_data.threads[1].id: input should be less than or equal to 9007199254740992",
        f"{BETA_SCAN}: $.hn_data.threads[2].points: input should be a valid integer (found string)",
    ]


def test_front_matter_keeps_one_line_per_wrong_item(site: Path) -> None:
    (site / ALPHA).write_text("---\nheadline: Alpha\nscan: 2501.00001\ntags: [ok, 1, [x]]\n---\nBody.\n")
    result = run_cli(site, "check")
    assert result.code == 1
    assert reported(result) == [
        f"{ALPHA}:4: `tags.1`: input should be a valid string (found integer)",
        f"{ALPHA}:4: `tags.2`: input should be a valid string (found list)",
    ]
