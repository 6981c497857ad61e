"""A small, safe attribute-filter language for ``select`` (no ``eval``).

The grammar, case-insensitive for keywords::

    expr    := or
    or      := and (("or" | "|") and)*
    and     := not (("and" | "&") not)*
    not     := "not" not | "(" expr ")" | test
    test    := value op value                      op: == = != <> < <= > >=
             | value ["not"] "in" "(" literal ("," literal)* ")"
             | value "contains" string             (substring, case-insensitive)
             | value "is" ["not"] "null"
    value   := column | literal
    column  := identifier (letters incl. CJK, digits, _) | `any text in backquotes`
    literal := number | 'string' | "string" | true | false | null

Column names are checked against the frame: an unknown name is a :class:`QueryError` that
suggests the closest column. Parsing gives a tuple AST, which :func:`evaluate` turns into a
boolean mask (vectorized pandas, nulls never match) and :func:`to_sql` into a parametrised
SQL ``WHERE`` clause for a database backend.

Example
-------
>>> ast = parse("height_m > 24 and use == 'R'")
>>> ast
('and', ('cmp', '>', ('col', 'height_m'), ('lit', 24)), ('cmp', '==', ('col', 'use'), ('lit', 'R')))
>>> to_sql(ast)
('("height_m" > %s AND "use" = %s)', [24, 'R'])
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from ..errors import QueryError

__all__ = ["parse", "evaluate", "to_sql", "columns_of", "check_columns", "filter_frame",
           "Untranslatable", "FILTER_TYPES"]

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<bq>`[^`]+`)
  | (?P<op>==|!=|<>|<=|>=|<|>|=|\(|\)|,|&&?|\|\|?|-)
  | (?P<name>[^\W\d][\w]*)
""", re.VERBOSE | re.UNICODE)

_KEYWORDS = {"and", "or", "not", "in", "contains", "is", "null", "none", "true", "false"}
_OPS = {"==": "==", "=": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">",
        ">=": ">="}


def _tokenize(text: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise QueryError(f"cannot read the filter at {text[pos:pos + 12]!r} "
                             f"(position {pos})",
                             hint="write e.g. height_m > 24 and use == 'R'")
        pos = m.end()
        kind = m.lastgroup
        val = m.group()
        if kind == "ws":
            continue
        if kind == "num":
            num = float(val)
            out.append(("lit", int(num) if num.is_integer() and "." not in val
                        and "e" not in val.lower() else num))
        elif kind == "str":
            q = val[0]
            out.append(("lit", val[1:-1].replace(q + q, q)))
        elif kind == "bq":
            out.append(("col", val[1:-1]))
        elif kind == "op":
            mapped = {"&": "and", "&&": "and", "|": "or", "||": "or"}.get(val)
            out.append(("kw", mapped) if mapped else ("op", val))
        else:
            low = val.lower()
            if low in _KEYWORDS:
                if low in ("null", "none"):
                    out.append(("lit", None))
                elif low in ("true", "false"):
                    out.append(("lit", low == "true"))
                else:
                    out.append(("kw", low))
            else:
                out.append(("col", val))
    return out


MAX_DEPTH = 64    # nested parentheses and 'not'
MAX_TERMS = 256   # 'and' / 'or' joins in one filter


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.joins = 0

    def nest(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"the filter nests parentheses or 'not' more than {MAX_DEPTH} "
                             "deep", hint="write it flatter, e.g. with in (...)")

    def join(self):
        self.joins += 1
        if self.joins > MAX_TERMS:
            raise QueryError(f"the filter joins more than {MAX_TERMS} tests with and/or",
                             hint="use in ('a', 'b', ...) for many values of one column")

    def peek(self, offset: int = 0):
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else ("end", None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def error(self, what: str):
        tok = self.peek()
        got = "the end" if tok[0] == "end" else repr(tok[1])
        return QueryError(f"filter {self.text!r}: expected {what}, found {got}",
                          hint="write e.g. height_m > 24 and use == 'R'")

    def expect(self, kind, value=None):
        tok = self.take()
        if tok[0] != kind or (value is not None and tok[1] != value):
            self.i -= 1
            raise self.error(repr(value) if value else kind)
        return tok

    def parse(self):
        if not self.toks:
            raise QueryError("the filter is empty")
        node = self.or_()
        if self.peek()[0] != "end":
            raise self.error("'and', 'or' or the end")
        return node

    def or_(self):
        node = self.and_()
        while self.peek() == ("kw", "or"):
            self.take()
            self.join()
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.not_()
        while self.peek() == ("kw", "and"):
            self.take()
            self.join()
            node = ("and", node, self.not_())
        return node

    def not_(self):
        if self.peek() == ("kw", "not"):
            self.take()
            self.nest()
            node = ("not", self.not_())
            self.depth -= 1
            return node
        if self.peek() == ("op", "("):
            self.take()
            self.nest()
            node = self.or_()
            self.expect("op", ")")
            self.depth -= 1
            return node
        return self.test()

    def value(self):
        tok = self.peek()
        if tok == ("op", "-"):
            self.take()
            lit = self.take()
            if lit[0] != "lit" or not isinstance(lit[1], (int, float)) \
                    or isinstance(lit[1], bool):
                self.i -= 1
                raise self.error("a number after '-'")
            return ("lit", -lit[1])
        if tok[0] in ("col", "lit"):
            self.take()
            return tok
        raise self.error("a column name or a value")

    def literal(self):
        node = self.value()
        if node[0] != "lit":
            self.i -= 1
            raise self.error("a literal value")
        return node[1]

    def test(self):
        left = self.value()
        tok = self.peek()
        if tok[0] == "op" and tok[1] in _OPS:
            self.take()
            return ("cmp", _OPS[tok[1]], left, self.value())
        negate = False
        if tok == ("kw", "not") and self.peek(1) == ("kw", "in"):
            self.take()
            negate = True
            tok = self.peek()
        if tok == ("kw", "in"):
            self.take()
            self.expect("op", "(")
            items = [self.literal()]
            while self.peek() == ("op", ","):
                self.take()
                items.append(self.literal())
            self.expect("op", ")")
            node = ("in", left, tuple(items))
            return ("not", node) if negate else node
        if tok == ("kw", "contains"):
            self.take()
            text = self.literal()
            if not isinstance(text, str):
                raise QueryError(f"filter {self.text!r}: contains takes a 'string'")
            return ("contains", left, text)
        if tok == ("kw", "is"):
            self.take()
            neg = False
            if self.peek() == ("kw", "not"):
                self.take()
                neg = True
            tok = self.take()
            if tok != ("lit", None):
                self.i -= 1
                raise self.error("null")
            return ("notnull", left) if neg else ("isnull", left)
        if left[0] == "col":
            raise self.error("a comparison after the column")
        if isinstance(left[1], bool):
            return left
        raise self.error("a comparison")


def parse(text: str):
    """Parse a filter into a tuple AST; a syntax error is a :class:`QueryError`."""
    return _Parser(str(text)).parse()


def columns_of(ast) -> set[str]:
    """The column names an AST refers to."""
    if not isinstance(ast, tuple):
        return set()
    if ast[0] == "col":
        return {ast[1]}
    out: set[str] = set()
    for part in ast[1:]:
        if isinstance(part, tuple):
            out |= columns_of(part)
    return out


def check_columns(ast, columns) -> None:
    """Raise the one-line :class:`QueryError` for a column of ``ast`` not in ``columns``
    (suggesting the closest name)."""
    cols = [str(c) for c in columns]
    for name in sorted(columns_of(ast)):
        if name not in cols:
            close = difflib.get_close_matches(name, cols, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "columns: " + ", ".join(cols)
            raise QueryError(f"the filter names a column {name!r} that the layer does not have",
                             hint=hint)


def _operand(node, frame: pd.DataFrame):
    if node[0] == "col":
        return frame[node[1]]
    return node[1]


def _as_bool(values, index) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.fillna(False).astype(bool)
    return pd.Series(bool(values), index=index)


def _compare(op: str, a, b, index) -> pd.Series:
    if a is None or b is None:
        return pd.Series(False, index=index)
    a_num = isinstance(a, pd.Series) and pd.api.types.is_numeric_dtype(a.dtype)
    b_num = isinstance(b, pd.Series) and pd.api.types.is_numeric_dtype(b.dtype)
    # a string column compared with a number, or the reverse: compare as numbers
    if isinstance(a, pd.Series) and not a_num and isinstance(b, (int, float)) \
            and not isinstance(b, bool):
        a = pd.to_numeric(a, errors="coerce")
    if isinstance(b, pd.Series) and not b_num and isinstance(a, (int, float)) \
            and not isinstance(a, bool):
        b = pd.to_numeric(b, errors="coerce")
    if isinstance(a, pd.Series) and pd.api.types.is_numeric_dtype(a.dtype) and isinstance(b, str):
        try:
            b = float(b)
        except ValueError:
            return pd.Series(op == "!=", index=index) & a.notna()
    try:
        if op == "==":
            res = a == b
        elif op == "!=":
            res = a != b
        elif op == "<":
            res = a < b
        elif op == "<=":
            res = a <= b
        elif op == ">":
            res = a > b
        else:
            res = a >= b
    except TypeError as exc:
        raise QueryError(f"cannot compare {a!r} {op} {b!r} ({exc})") from None
    res = _as_bool(res, index)
    for side in (a, b):
        if isinstance(side, pd.Series):
            res &= side.notna().to_numpy()
    return res


def evaluate(ast, frame: pd.DataFrame) -> pd.Series:
    """A boolean Series over ``frame`` for the AST; null values never match a test."""
    index = frame.index
    kind = ast[0]
    if kind == "and":
        return evaluate(ast[1], frame) & evaluate(ast[2], frame)
    if kind == "or":
        return evaluate(ast[1], frame) | evaluate(ast[2], frame)
    if kind == "not":
        return ~evaluate(ast[1], frame)
    if kind == "lit":
        return pd.Series(bool(ast[1]), index=index)
    if kind == "col":
        return _as_bool(frame[ast[1]], index)
    if kind == "cmp":
        return _compare(ast[1], _operand(ast[2], frame), _operand(ast[3], frame), index)
    if kind == "in":
        value = _operand(ast[1], frame)
        items = list(ast[2])
        if isinstance(value, pd.Series):
            res = value.isin(items)
            if pd.api.types.is_numeric_dtype(value.dtype):
                nums = [float(x) for x in items if _is_number(x)]
                res = res | value.isin(nums)
            else:
                res = res | value.astype("string").isin([str(x) for x in items])
            return _as_bool(res, index) & value.notna().to_numpy()
        return pd.Series(value in items, index=index)
    if kind == "contains":
        value = _operand(ast[1], frame)
        if isinstance(value, pd.Series):
            res = value.astype("string").str.contains(ast[2], case=False, regex=False)
            return _as_bool(res, index)
        return pd.Series(ast[2].lower() in str(value).lower(), index=index)
    if kind in ("isnull", "notnull"):
        value = _operand(ast[1], frame)
        isna = value.isna() if isinstance(value, pd.Series) else pd.Series(
            value is None, index=index)
        return (isna if kind == "isnull" else ~isna).astype(bool)
    raise QueryError(f"unknown filter node {kind!r}")


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.number)) and not isinstance(x, bool)


def filter_frame(frame: pd.DataFrame, where: str | None) -> pd.Series:
    """The boolean mask of ``frame`` rows matching ``where`` (all rows when empty)."""
    if where is None or not str(where).strip():
        return pd.Series(True, index=frame.index)
    ast = parse(where)
    check_columns(ast, frame.columns)
    return evaluate(ast, frame)


_SQL_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

# the column families whose SQL answers equal evaluate's, test by test (see to_sql)
FILTER_TYPES = ("text", "number", "bool")


class Untranslatable(Exception):
    """A filter test whose SQL answer could differ from :func:`evaluate`'s (raised by
    :func:`to_sql` with ``types``); the caller then filters in memory."""


def _quote(name: str) -> str:
    # psycopg style: a literal '%' in the query text is written '%%'
    return '"' + name.replace('"', '""').replace("%", "%%") + '"'


def _family(value, types) -> str | None:
    """The type family of a literal, or of a column (from ``types``)."""
    if value[0] == "col":
        return types.get(value[1])
    lit = value[1]
    if lit is None:
        return "null"
    if isinstance(lit, bool):
        return "bool"
    if isinstance(lit, (int, float)):
        return "number"
    return "text" if isinstance(lit, str) else None


def _constant(node) -> bool:
    """A test without columns, decided here exactly as :func:`evaluate` decides it."""
    return bool(evaluate(node, pd.DataFrame(index=[0])).iloc[0])


def _exact(node, types) -> None:
    """Raise :class:`Untranslatable` unless the SQL of test ``node`` is exactly evaluate's.

    Exact: text with text (compared by code point, ``COLLATE "C"``), numbers with numbers,
    booleans with booleans, a null literal (never matches), ``in`` with items of the
    column's own family, ``is [not] null``, and ``contains`` on text with a pattern that has
    no upper/lower case (Chinese, digits: case-insensitivity changes nothing). Not exact, so
    refused: a column of another type (real, dates, JSON, categories), mixed families
    (evaluate compares a text column with a number as numbers), ``contains`` with letters
    (Python's and PostgreSQL's case folding differ for some letters).
    """
    kind = node[0]
    if kind == "cmp":
        left, right = _family(node[2], types), _family(node[3], types)
        if "null" in (left, right):
            return
        if left is None or left != right:
            raise Untranslatable(kind)
    elif kind == "in":
        family = _family(node[1], types)
        if family not in FILTER_TYPES or any(
                _family(("lit", x), types) != family for x in node[2]):
            raise Untranslatable(kind)
    elif kind == "contains":
        if _family(node[1], types) != "text" or node[2].lower() != node[2].upper():
            raise Untranslatable(kind)
    elif kind in ("isnull", "notnull"):
        if _family(node[1], types) not in FILTER_TYPES:
            raise Untranslatable(kind)


def to_sql(ast, *, columns=None, types=None) -> tuple[str, list]:
    """A parametrised SQL condition (``%s`` placeholders, psycopg style) and its values.

    Values are always parameters, never text of the query. Column names are double-quoted;
    with ``columns`` given they are checked first (the :class:`QueryError` of
    :func:`filter_frame`), and a mapping ``{name: SQL column}`` names each column's SQL
    column. With ``types`` (``{name: "text" | "number" | "bool" | None}``) the translation
    is exact or refused: a test whose SQL answer could differ from :func:`evaluate`'s raises
    :class:`Untranslatable`, a test without columns becomes ``TRUE``/``FALSE`` as evaluate
    decides it, and every test is ``COALESCE``d so that null never matches, under ``not``
    too. Semantics match :func:`evaluate`: SQL comparisons with NULL are never true.
    """
    if columns is not None:
        check_columns(ast, columns)
    sql_name = dict(columns) if isinstance(columns, dict) else {}
    params: list = []

    def val(node) -> str:
        if node[0] == "col":
            return _quote(sql_name.get(node[1], node[1]))
        if node[1] is None:
            return "NULL"
        params.append(node[1])
        return "%s"

    def test(node) -> str:
        kind = node[0]
        if kind == "lit":
            return "TRUE" if node[1] else "FALSE"
        if kind == "col":
            return val(node)
        if kind == "cmp":
            if types is not None and "null" in (_family(node[2], types),
                                                _family(node[3], types)):
                return "FALSE"
            left = val(node[2])
            right = val(node[3])
            if types is not None and _family(node[2], types) == "text" \
                    and node[1] not in ("==", "!="):
                left += ' COLLATE "C"'
            return f"{left} {_SQL_OPS[node[1]]} {right}"
        if kind == "in":
            left = val(node[1])
            marks = ", ".join(val(("lit", x)) for x in node[2])
            return f"{left} IN ({marks})"
        if kind == "contains":
            left = val(node[1])
            if types is not None:  # no case in the pattern: a plain substring test
                params.append(node[2])
                return f"strpos({left}, %s) > 0"
            text = node[2].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{text}%")
            return f"CAST({left} AS text) ILIKE %s"
        if kind in ("isnull", "notnull"):
            return f"{val(node[1])} IS {'NOT ' if kind == 'notnull' else ''}NULL"
        raise QueryError(f"unknown filter node {kind!r}")

    def go(node) -> str:
        kind = node[0]
        if kind in ("and", "or"):
            return f"({go(node[1])} {kind.upper()} {go(node[2])})"
        if kind == "not":
            return f"(NOT COALESCE({go(node[1])}, FALSE))"
        if types is None:
            return test(node)
        if not columns_of(node):
            return "TRUE" if _constant(node) else "FALSE"
        _exact(node, types)
        return f"COALESCE({test(node)}, FALSE)"

    return go(ast), params
