"""Problems in an analyst's file name the line (and key path) where they were written.

Checks of the values (unknown fields, values that do not suit a field, codes, HS
prefixes, named lists) and of the document's keys are all reported in one pass, in
the order of the file. A file that is not YAML, or writes a key twice, or writes a
condition in a shape the parser cannot read, stops at that one problem.
"""

from __future__ import annotations

import pytest

from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria.parser import parse
from riskhub.profiles.criteria.source import load
from riskhub.profiles.document import Problem, read_library, read_profile

from .support import frame_of, indices, polars_hits, python_hits

LISTS = {"watch": "trader", "hs_watch": "hs"}

# Line numbers are written at the end of each line; they are checked against the text below.
MANY_PROBLEMS = """\
code: RS-TEX-001                                  # 1   (and no action anywhere)
title: Undervalued textiles                       # 2
threat: undervaluation                            # 3
weight: 40                                        # 4
colour: red                                       # 5   not a key of a profile
criteria:                                         # 6
  all:                                            # 7
    - orign_country: CN                           # 8   unknown field, with a suggestion
    - net_mass: CN                                # 9   a number compared to a country
    - origin_country: 156                         # 10  a country compared to a number
    - origin_country: {in: [CN, BD]}              # 11  fine
    - dispatch_country: cn                        # 12  lower-case code
    - destination_country: [RS, XX]               # 13  unknown country
    - hs_code: {startswith: ["62", "620"]}        # 14  3 digits: no HS level
    - hs_code: {startswith: "77"}                 # 15  chapter 77 is reserved
    - customs_value_eur: {between: [500, 100]}    # 16  low > high
    - trader: {in_list: nosuchlist}               # 17  no such list
    - origin_country: {in_list: watch}            # 18  a list of traders
    - lodged_at: {weekday: [sat, sun], hour: [22, 6]}   # 19  fine
"""

# (line, key path, a phrase of the message), in file order.
EXPECTED: list[tuple[int, str, str]] = [
    (1, "action", "'action' is required"),
    (5, "colour", "unknown key 'colour'"),
    (
        8,
        "criteria.all[0].orign_country",
        "unknown field 'orign_country'; did you mean 'origin_country'?",
    ),
    (9, "criteria.all[1].net_mass", "'net_mass' is number, so it cannot be compared to 'CN'"),
    (
        10,
        "criteria.all[2].origin_country",
        "'origin_country' is code, so it cannot be compared to the number 156",
    ),
    # The code check also reports the number (as text) as no country code.
    (10, "criteria.all[2].origin_country", "'156' is not a country code"),
    (12, "criteria.all[4].dispatch_country", "codes are upper case: write 'CN'"),
    (13, "criteria.all[5].destination_country", "'XX' is not a country code"),
    (14, "criteria.all[6].hs_code.startswith", "'620' is not an HS chapter/heading/subheading"),
    (15, "criteria.all[7].hs_code.startswith", "HS chapter 77 does not exist"),
    (
        16,
        "criteria.all[8].customs_value_eur.between",
        "'between' runs from low to high, but 500 > 100",
    ),
    (17, "criteria.all[9].trader.in_list", "no named list 'nosuchlist' is visible to you"),
    (
        18,
        "criteria.all[10].origin_country.in_list",
        "'watch' is a list of trader values, but 'origin_country' holds country values",
    ),
]


def test_line_comments_of_the_file_are_right() -> None:
    for number, line in enumerate(MANY_PROBLEMS.splitlines(), start=1):
        assert line.split("#")[-1].split()[0] == str(number)


def _assert_problems(problems: list[Problem], expected: list[tuple[int, str, str]]) -> None:
    found = [(p.loc.line, p.loc.path, p.message) for p in problems]
    assert len(found) == len(expected), "\n".join(map(str, found))
    for (line, path, message), (want_line, want_path, phrase) in zip(found, expected, strict=True):
        assert (line, path) == (want_line, want_path), (line, path, message)
        assert phrase in message, (line, message)


def test_every_problem_of_a_file_in_one_pass_in_file_order() -> None:
    read = read_profile(MANY_PROBLEMS, lists=LISTS)
    assert not read.ok and read.document is None and read.criteria is None
    _assert_problems(read.problems, EXPECTED)
    assert read.problems == sorted(read.problems, key=lambda p: (p.loc.line, p.loc.column))


def test_fixing_the_problems_gives_a_good_profile() -> None:
    """The same file with every problem put right reads cleanly (the checks are not noise)."""
    fixed = MANY_PROBLEMS
    for wrong, right in [
        ("colour: red", "action: {channel: red}"),
        ("orign_country: CN", "origin_country: CN"),
        ("net_mass: CN", "net_mass: {gt: 5}"),
        ("origin_country: 156", "origin_country: CN"),
        ("dispatch_country: cn", "dispatch_country: CN"),
        ("[RS, XX]", "[RS, XK]"),
        ('["62", "620"]', '["62", "6204"]'),
        ('"77"', '"97"'),
        ("[500, 100]", "[100, 500]"),
        ("nosuchlist", "watch"),
        ("origin_country: {in_list: watch}", "hs_code: {in_list: hs_watch}"),
    ]:
        assert wrong in fixed
        fixed = fixed.replace(wrong, right)
    read = read_profile(fixed, lists=LISTS)
    assert read.problems == []
    assert read.ok
    assert isinstance(read.criteria, t.All) and len(read.criteria.children) == 12


# A profile whose criteria are written after this head; its criteria start on line 8.
HEAD = """\
code: RS-TEX-001
title: Undervalued textiles
threat: undervaluation
weight: 40
action: {channel: red}
criteria:
  all:
"""

# (criteria lines, line, key path, a phrase of the only problem)
SHAPE_PROBLEMS = [
    pytest.param(
        "    - origin_country: CN\n    - customs_value_eur: {greater: 5}\n",
        9,
        "criteria.all[1].customs_value_eur.greater",
        "unknown operator 'greater' for 'customs_value_eur'",
        id="unknown operator",
    ),
    pytest.param(
        "    - origin_country: CN\n    - lodged_at: {weekday: [sat, sonday]}\n",
        9,
        "criteria.all[1].lodged_at.weekday[1]",
        "'sonday' is not a weekday",
        id="weekday typo",
    ),
    pytest.param(
        "    - origin_country: CN\n    - lodged_at:\n        weekday:\n          - sat\n          - sonday\n",
        12,
        "criteria.all[1].lodged_at.weekday[1]",
        "'sonday' is not a weekday",
        id="weekday typo, block style",
    ),
    pytest.param(
        "    - origin_country: CN\n    - origin_country: BD\n    - lodged_at: {hour: [22, 25]}\n",
        10,
        "criteria.all[2].lodged_at.hour",
        "hours run from 0 to 24",
        id="hour out of range",
    ),
    pytest.param(
        "    - lodged_at: {hour: [-1, 6]}\n",
        8,
        "criteria.all[0].lodged_at.hour",
        "hours run from 0 to 24",
        id="hour below zero",
    ),
    pytest.param(
        "    - lodged_at: {hour: [6, 6]}\n",
        8,
        "criteria.all[0].lodged_at.hour",
        "the window cannot be empty",
        id="empty hour window",
    ),
    pytest.param(
        "    - lodged_at: {hour: [6.5, 8]}\n",
        8,
        "criteria.all[0].lodged_at.hour",
        "whole hours",
        id="hour not whole",
    ),
    pytest.param(
        "    - lodged_at: {dates: [2026-12-31, 2026-12-01]}\n",
        8,
        "criteria.all[0].lodged_at.dates",
        "the window ends before it starts",
        id="dates reversed",
    ),
    pytest.param(
        "    - net_mass: {}\n",
        8,
        "criteria.all[0].net_mass",
        "no operator given for 'net_mass'",
        id="no operator",
    ),
    pytest.param(
        "    - any: []\n",
        8,
        "criteria.all[0].any",
        "'any' takes a list of at least one condition",
        id="empty any",
    ),
]


@pytest.mark.parametrize(("body", "line", "path", "phrase"), SHAPE_PROBLEMS)
def test_a_shape_problem_names_its_line(body: str, line: int, path: str, phrase: str) -> None:
    read = read_profile(HEAD + body, lists=LISTS)
    _assert_problems(read.problems, [(line, path, phrase)])


def test_shape_problems_are_reported_with_all_the_others() -> None:
    body = (
        "    - orign_country: CN\n"  # 8
        "    - customs_value_eur: {greater: 5}\n"  # 9
        "    - lodged_at: {weekday: [sonday]}\n"  # 10
        "    - lodged_at: {hour: [22, 25]}\n"  # 11
    )
    read = read_profile(HEAD + body, lists=LISTS)
    assert [p.loc.line for p in read.problems] == [8, 9, 10, 11]


@pytest.mark.parametrize(
    ("text", "line", "phrase"),
    [
        pytest.param(
            "code: RS-TEX-001\ntitle: Undervalued: textiles\nthreat: undervaluation\n",
            2, "mapping values are not allowed here", id="colon in a plain value",
        ),
        pytest.param(
            "code: RS-TEX-001\ntitle: x\ncriteria:\n\t- origin_country: CN\n",
            4, "found character '\\t' that cannot start any token", id="tab",
        ),
        pytest.param(
            HEAD + "    - origin_country: CN\n    - hs_code: {startswith: '62'\n  weight: 5\n",
            # Left open on line 9; YAML sees it on line 10, where the mapping cannot go on.
            10, "not valid YAML/JSON", id="unclosed flow mapping",
        ),
    ],
)  # fmt: skip
def test_yaml_syntax_error_names_its_line(text: str, line: int, phrase: str) -> None:
    read = read_profile(text)
    assert len(read.problems) == 1, read.problems
    assert read.problems[0].loc.line == line
    assert "not valid YAML/JSON" in read.problems[0].message
    assert phrase in read.problems[0].message


@pytest.mark.parametrize(
    ("text", "line", "path", "phrase"),
    [
        pytest.param(
            "code: RS-TEX-001\ntitle: Undervalued textiles\nthreat: undervaluation\ncode: RS-TEX-002\n",
            4, "code", "'code' is written twice", id="top level",
        ),
        pytest.param(
            HEAD.replace("  all:\n", "") + "  origin_country: CN\n  net_mass: {gt: 5}\n  origin_country: BD\n",
            9, "criteria.origin_country", "'origin_country' is written twice", id="in criteria",
        ),
        pytest.param(
            HEAD + "    - net_mass: {gt: 5, gt: 6}\n",
            8, "criteria.all[0].net_mass.gt", "'gt' is written twice", id="operator",
        ),
    ],
)  # fmt: skip
def test_duplicate_key_names_its_line(text: str, line: int, path: str, phrase: str) -> None:
    read = read_profile(text)
    _assert_problems(read.problems, [(line, path, phrase)])


def test_library_problems_name_lines_of_the_whole_file() -> None:
    good = HEAD + "    - origin_country: CN\n"
    indented = "".join(
        ("- " if i == 0 else "  ") + line + "\n" for i, line in enumerate(good.splitlines())
    )
    bad = indented.replace("origin_country: CN", "orign_country: CN")
    reads = read_library(indented + bad, lists=LISTS)  # 8 lines each: the second on 9 to 16
    assert [r.ok for r in reads] == [True, False]
    _assert_problems(
        reads[1].problems, [(16, "[1].criteria.all[0].orign_country", "unknown field")]
    )


# -- numbers with a leading zero -------------------------------------------------------------


def test_a_leading_zero_hs_prefix_is_read_as_written_not_as_octal() -> None:
    """YAML 1.1 reads a plain 0101 as the octal number 65: chapter 65, silently."""
    node = parse(load("hs_code: {startswith: [0101, 010121, 0901, 62]}"), ())
    assert isinstance(node, t.StartsWith)
    assert node.prefixes == ("0101", "010121", "0901", "62")
    read = read_profile(HEAD + "    - hs_code: {startswith: [0101, 010121]}\n")
    assert read.ok, read.problems
    frame = frame_of([{"hs_code": "0101210000"}, {"hs_code": "6501000000"}, {"hs_code": "4177"}])
    assert read.criteria is not None
    assert indices(polars_hits(frame, read.criteria, {})) == {0}
    assert indices(python_hits(frame, read.criteria, {})) == {0}


def test_a_leading_zero_number_is_reported_not_read_as_octal() -> None:
    read = read_profile(HEAD + "    - transport_mode: 010\n")
    _assert_problems(
        read.problems,
        [
            (
                8,
                "criteria.all[0].transport_mode",
                "'transport_mode' is number, so it cannot be compared to '010'",
            )
        ],
    )


@pytest.mark.parametrize(("days", "expected"), [("[sat, Sunday, 1]", (1, 6, 7)), ("[7]", (7,))])
def test_weekdays_by_short_name_full_name_or_iso_number(
    days: str, expected: tuple[int, ...]
) -> None:
    read = read_profile(HEAD + f"    - lodged_at: {{weekday: {days}}}\n", lists=LISTS)
    assert not read.problems, read.problems
    assert read.criteria is not None
    (weekday,) = [n for n in t.walk(read.criteria) if isinstance(n, t.Weekday)]
    assert weekday.days == expected


@pytest.mark.parametrize("day", ["monkey", "8", "0", "mo"])
def test_a_weekday_must_be_one(day: str) -> None:
    read = read_profile(HEAD + f"    - lodged_at: {{weekday: [{day}]}}\n", lists=LISTS)
    assert [p.message for p in read.problems] == [
        f"'{day}' is not a weekday (mon ... sun, or 1 ... 7)"
    ]
