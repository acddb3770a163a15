"""Solution regions: where the reference code sits in a homework, and how a handout empties it.

    ### BEGIN YOUR SOLUTION          // BEGIN YOUR SOLUTION     (C, C++, CUDA)
    ...reference...                  ...reference...
    ### END YOUR SOLUTION            // END YOUR SOLUTION

Stripping keeps both markers, so a student sees where to write. A Python region becomes
`raise NotImplementedError()`, so an unfinished part fails loudly and says so; a C-family
region becomes an empty body, which still compiles because regions sit inside void
functions. A malformed region is an error, never a guess: a wrong guess would either hand
out reference code or cut given code away.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from autograder.errors import DlsysError

PYTHON, C_FAMILY = "python", "c"
LANGUAGES = {".py": PYTHON, **dict.fromkeys((".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".cu", ".cuh"), C_FAMILY)}
COMMENT = {PYTHON: "#", C_FAMILY: "//"}
BEGIN = {PYTHON: "### BEGIN YOUR SOLUTION", C_FAMILY: "// BEGIN YOUR SOLUTION"}
END = {PYTHON: "### END YOUR SOLUTION", C_FAMILY: "// END YOUR SOLUTION"}
# A comment that mentions a marker without being one is almost surely a mistyped marker.
MARKER_LIKE = re.compile(r"\b(BEGIN|END)\s+YOUR\s+SOLUTION\b", re.IGNORECASE)


@dataclass(frozen=True)
class Region:
    """One solution region: the 1-based lines of its two markers and their indentation."""

    begin: int
    end: int
    indent: str


def language(path: str | PurePath) -> str | None:
    """'python', 'c' (C, C++ and CUDA) or None for files that hold no regions, by suffix."""
    return LANGUAGES.get(PurePath(path).suffix.lower())


def find_regions(text: str, path: str | PurePath) -> list[Region]:
    """The regions of a source file, in order; [] for other file types.

    Raises DlsysError naming the file and line for an END without a BEGIN, a BEGIN
    never closed, a BEGIN inside a region, markers of different indentation, and a
    comment that looks like a marker but is not exactly one.
    """
    lang = language(path)
    if lang is None:
        return []
    begin, end = BEGIN[lang], END[lang]
    regions: list[Region] = []
    opened: tuple[int, str] | None = None  # (line, indent) of the BEGIN marker not yet closed
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        where = f"{path}:{number}"
        if stripped == begin:
            if opened is not None:
                raise DlsysError(f"{where}: '{begin}' inside the region opened at line {opened[0]}; "
                                 f"close that region with '{end}' first (regions cannot nest).")
            opened = (number, indent)
        elif stripped == end:
            if opened is None:
                raise DlsysError(f"{where}: '{end}' without a '{begin}' before it; "
                                 "add the BEGIN marker above the solution or remove this line.")
            if indent != opened[1]:
                raise DlsysError(f"{where}: '{end}' is indented {indent!r} but its '{begin}' at line "
                                 f"{opened[0]} is indented {opened[1]!r}; indent both markers alike.")
            regions.append(Region(opened[0], number, indent))
            opened = None
        elif stripped.startswith(COMMENT[lang]) and MARKER_LIKE.search(stripped):
            raise DlsysError(f"{where}: {stripped!r} looks like a solution marker but is not exactly "
                             f"'{begin}' or '{end}'; write the marker exactly, or reword the comment.")
    if opened is not None:
        raise DlsysError(f"{path}:{opened[0]}: '{begin}' is never closed; add '{end}' after the solution.")
    return regions


def strip_regions(text: str, path: str | PurePath) -> str:
    """The file with every region emptied (markers kept); other file types unchanged."""
    regions = find_regions(text, path)
    if not regions:
        return text
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    position = 0
    for region in regions:
        kept += lines[position:region.begin]  # up to and including the BEGIN marker
        if language(path) == PYTHON:
            begin_line = lines[region.begin - 1]
            newline = begin_line[len(begin_line.rstrip("\r\n")):]
            kept.append(f"{region.indent}raise NotImplementedError(){newline}")
        position = region.end - 1  # the END marker onwards
    kept += lines[position:]
    return "".join(kept)
