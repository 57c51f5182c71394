"""Source positions: where in which file a piece of a rule file came from.

Lines and columns are 1-based and count characters (not bytes), because rule
files are full of å, ä and ö.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a file: start and (inclusive) end position, 1-based."""

    file: str
    line: int
    col: int
    end_line: int | None = None
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class FormulaOrigin:
    """Maps offsets in a formula string back to the YAML file it was written in.

    `line_starts[i]` is the (line, col) in the file of the first character of line
    i of the formula. That is exact for plain and quoted one-line scalars and for
    `|` block scalars; for scalars with escapes it is approximate.
    """

    file: str
    line_starts: tuple[tuple[int, int], ...]

    @staticmethod
    def at(file: str, line: int, col: int) -> FormulaOrigin:
        return FormulaOrigin(file, ((line, col),))

    def locate(self, fline: int, fcol: int) -> tuple[int, int]:
        """File (line, col) of 1-based (line, col) inside the formula."""
        if fline > len(self.line_starts):  # a line the origin does not list: the next ones
            last_line, _ = self.line_starts[-1]
            return last_line + fline - len(self.line_starts), fcol
        index = max(fline - 1, 0)
        line, col = self.line_starts[index]
        return line, col + fcol - 1

    def span(self, fline: int, fcol: int, fend_line: int, fend_col: int) -> Span:
        line, col = self.locate(fline, fcol)
        end_line, end_col = self.locate(fend_line, fend_col)
        return Span(self.file, line, col, end_line, end_col)


_file_cache: dict[str, list[str]] = {}


def register_text(file: str, text: str) -> None:
    """Remember a file's text so excerpts work for in-memory sources too."""
    _file_cache[file] = text.splitlines()


def source_line(file: str, line: int) -> str | None:
    lines = _file_cache.get(file)
    if lines is None:
        try:
            lines = Path(file).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        _file_cache[file] = lines
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


def excerpt(span: Span) -> list[str]:
    """The source line of `span` with a caret line under the spot, gutter included."""
    text = source_line(span.file, span.line)
    if text is None:
        return []
    gutter = str(span.line)
    width = 1
    if span.end_line == span.line and span.end_col is not None and span.end_col >= span.col:
        width = span.end_col - span.col + 1
    width = max(1, min(width, len(text) - span.col + 2))
    pad = " " * len(gutter)
    return [
        f" {gutter} | {text}",
        f" {pad} | {' ' * (span.col - 1)}{'^' * width}",
    ]
