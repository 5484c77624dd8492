"""One error type for bad input: it names the file, the row and the field, and says how to fix it."""
from __future__ import annotations


class DataError(Exception):
    """Bad input in a data or seed file.

    ``line`` is the 1-based line number in the file (a CSV's header is line 1),
    ``field`` the column name.
    """

    def __init__(self, file, problem: str, *, line: int | None = None,
                 field: str | None = None, fix: str | None = None):
        self.file = str(file)
        self.problem = problem
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.field is not None:
            where += f", column '{self.field}'"
        text = f"{where}: {self.problem}"
        if self.fix:
            text += f"\n  How to fix: {self.fix}"
        return text
