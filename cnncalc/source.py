"""Reading YAML into plain values that remember where they were written.

``load(path)`` returns dicts, lists and scalars, as ``yaml.safe_load`` would, except that
every mapping is a :class:`YMap` and every list a :class:`YList` carrying the ``Loc`` of
itself, of each key and of each value. Duplicate keys are errors (PyYAML would silently
keep the last one, and a second ``kernel:`` is always a mistake in an architecture file).

Two readers, one answer. PyYAML is the authority, but importing it costs about as much as
starting Python, and ``cnncalc summarize`` has to answer in little more than that. So a
small reader of our own handles the YAML that architecture files are made of (block and
flow collections, plain and quoted scalars, comments) and gives up, by raising
``_Unsupported``, on anything it is not certain about: anchors, tags, block scalars,
multi-line plain scalars, numbers in unusual notations, and every syntax error. PyYAML then
reads the file again and has the last word, errors included. tests/test_source.py holds
the two readers equal on every file the fast one accepts.

Safety: neither reader constructs anything but plain data; PyYAML is only used through its
composer and ``SafeConstructor``, and alias expansion is bounded (no "billion laughs").
"""

from __future__ import annotations

from bisect import bisect_right

from .errors import Diagnostic, Loc, SpecError

# Beyond this many values (aliases expanded) a file is refused: the largest sensible
# architecture file has a few hundred thousand.
MAX_VALUES = 2_000_000
# Lists and mappings nested deeper than this are refused before Python's recursion runs out
# (aliases counted where they are used, not where they are defined).
MAX_DEPTH = 100
# Files larger than this are refused before anything is read: the largest architecture file
# in the zoo is a few kilobytes, and a generated one with every value written out a few
# hundred.
MAX_BYTES = 8 * 2**20
# Python refuses to read longer integers (sys.get_int_max_str_digits); so does cnncalc, with
# a position.
MAX_DIGITS = 4300


class YMap(dict):
    """A YAML mapping; ``loc`` is where it starts, ``key_locs``/``value_locs`` per key."""

    __slots__ = ("loc", "key_locs", "value_locs")

    def __init__(self, loc: Loc):
        super().__init__()
        self.loc = loc
        self.key_locs: dict = {}
        self.value_locs: dict = {}


class YList(list):
    """A YAML sequence; ``loc`` is where it starts, ``item_locs`` one per item."""

    __slots__ = ("loc", "item_locs")

    def __init__(self, loc: Loc):
        super().__init__()
        self.loc = loc
        self.item_locs: list = []


def load(path: str):
    """Read and parse the YAML file at ``path``; raises SpecError naming the file."""
    return parse(read_text(path), path)


def read_text(path: str) -> str:
    """The text of the file at ``path``: a regular file of at most MAX_BYTES, in UTF-8.
    Devices, FIFOs and directories are refused without reading (``/dev/zero`` never ends, a
    FIFO blocks), and so is a file too large, before it is read."""
    import os
    import stat

    try:
        # O_NONBLOCK: opening a FIFO with no writer must not wait for one.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise SpecError.at(Loc(path, None, None), f"cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a device, FIFO or socket"
            raise SpecError.at(Loc(path, None, None), f"cannot read: not a regular file ({kind})")
        if info.st_size > MAX_BYTES:
            raise SpecError.at(
                Loc(path, None, None), f"{_size(info.st_size)}: larger than cnncalc's limit of {_size(MAX_BYTES)}"
            )
        with open(fd, "rb", closefd=False) as stream:
            data = stream.read(MAX_BYTES + 1)  # the file may have grown since fstat
    except OSError as error:
        raise SpecError.at(Loc(path, None, None), f"cannot read: {error.strerror or error}") from None
    finally:
        os.close(fd)
    return _decoded(data, path)


def read_stream(stream, name: str) -> str:
    """The text of a byte stream (standard input: ``name`` ``<stdin>``), with read_text's
    limits: at most MAX_BYTES (``yes | cnncalc lint -`` must end), in UTF-8."""
    return _decoded(stream.read(MAX_BYTES + 1), name)


def _decoded(data: bytes, path: str) -> str:
    if len(data) > MAX_BYTES:
        raise SpecError.at(Loc(path, None, None), f"larger than cnncalc's limit of {_size(MAX_BYTES)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8", "replace")) + 1
        loc = Loc(path, data.count(b"\n", 0, error.start) + 1, column)
        raise SpecError.at(
            loc, f"not UTF-8 text: byte 0x{data[error.start]:02x} cannot be read (save the file as UTF-8)"
        ) from None


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def parse(text: str, file: str = "<string>"):
    """Parse YAML ``text``; positions in errors and values name ``file``."""
    if len(text) > MAX_BYTES:  # characters, here: files are measured in bytes by read_text
        raise SpecError.at(Loc(file, None, None), f"larger than cnncalc's limit of {_size(MAX_BYTES)}")
    try:
        return _FastReader(text, file).document()
    except _Unsupported:
        return _read_with_pyyaml(text, file)


def _add(mapping: YMap, key, key_loc: Loc, value, value_loc: Loc) -> None:
    if key in mapping:
        first = mapping.key_locs[key]
        raise SpecError.at(key_loc, f'duplicate key "{key}" (first given at line {first.line}, column {first.column})')
    mapping[key] = value
    mapping.key_locs[key] = key_loc
    mapping.value_locs[key] = value_loc


# --- The fast reader ----------------------------------------------------------------------


class _Unsupported(Exception):
    """The fast reader is not certain what this YAML means; PyYAML decides."""


# Plain scalars PyYAML (YAML 1.1) resolves to something other than a string. The common
# spellings are handled here; the rest go to PyYAML (see _resolve_plain).
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {
    **dict.fromkeys(["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"], True),
    **dict.fromkeys(["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"], False),
}
# First characters for which PyYAML has implicit resolvers besides bool and null
# (int, float, timestamp, merge '<<', value '=').
_NUMERIC_START = frozenset("0123456789+-.<=")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_STOPS = frozenset(",[]{}")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
# Tabs, carriage returns, a byte-order mark, YAML's own line separators and control
# characters: all legal in places, all left to PyYAML. (Regular expressions are compiled
# only when needed: compiling them costs more than reading a whole file.)
_ODD_ASCII = frozenset(chr(c) for c in (*range(0x20), 0x7F)) - {"\n"}
_ODD_UNICODE = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"


def _resolve_plain(text: str):
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text[0] in _NUMERIC_START:
        digits = text[1:] if text[0] in "+-" else text
        if len(digits) > MAX_DIGITS:
            raise _Unsupported  # PyYAML's reader refuses it, with a position
        if digits.isdigit() and digits.isascii() and (digits == "0" or digits[0] != "0"):
            return int(text)
        if _is_simple_float(digits, signed=digits is not text):
            return float(text)
        # Anything else that starts like a number (1_000, 0x1F, 010, 1:30, .inf, dates, '<<')
        # may be resolved by PyYAML in a way worth not re-implementing: those go to PyYAML;
        # words its resolvers do not match (a layer named 1x1) stay strings here.
        if not text[0].isdigit() or _pyyaml_resolves(text):
            raise _Unsupported
    return text


_RESOLVERS: list = []


def _pyyaml_resolves(text: str) -> bool:
    """Whether one of PyYAML's implicit resolvers (YAML 1.1 int, float, timestamp, merge,
    value) matches ``text``, compiled only when first needed."""
    if not _RESOLVERS:
        import re

        _RESOLVERS.extend(
            re.compile(pattern, re.X)
            for pattern in (
                r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
                r"""^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
                r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?
                    :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)? (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
                r"^(?:<<)$",
                r"^(?:=)$",
            )
        )
    return any(pattern.match(text) for pattern in _RESOLVERS)


def _is_simple_float(digits: str, signed: bool) -> bool:
    """``[0-9]+.[0-9]*``, or unsigned ``.[0-9]+``, then optionally ``e`` with a *signed*
    exponent: PyYAML's float without its rarer forms. (To PyYAML ``1e5`` and ``-.5`` are
    strings.)"""
    mantissa, e, exponent = digits.replace("E", "e").partition("e")
    whole, dot, fraction = mantissa.partition(".")
    if not dot or not (whole or (fraction and not signed)):
        return False
    if not mantissa.replace(".", "", 1).isdigit() or not mantissa.isascii():
        return False
    if not e:
        return True
    return len(exponent) > 1 and exponent[0] in "+-" and exponent[1:].isdigit() and exponent.isascii()


def _has_odd_characters(text: str) -> bool:
    if text.isascii():
        return not _ODD_ASCII.isdisjoint(text)
    import re  # here: compiling expressions costs more than reading an ASCII file

    return re.search(_ODD_UNICODE, text) is not None


class _FastReader:
    def __init__(self, text: str, file: str):
        if _has_odd_characters(text):
            raise _Unsupported
        self.text = text
        self.file = file
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.line = 0  # index of the next line the block reader looks at
        self.count = 0

    def loc(self, pos: int) -> Loc:
        index = bisect_right(self.starts, pos) - 1
        return Loc(self.file, index + 1, pos - self.starts[index] + 1)

    # -- lines ---------------------------------------------------------------------------

    def next_line(self) -> int | None:
        """Index of the next line with content (not blank, not only a comment)."""
        while self.line < len(self.lines):
            stripped = self.lines[self.line].lstrip(" ")
            if stripped and not stripped.startswith("#"):
                return self.line
            self.line += 1
        return None

    def indent(self, index: int) -> int:
        line = self.lines[index]
        return len(line) - len(line.lstrip(" "))

    def is_dash(self, index: int, column: int) -> bool:
        line = self.lines[index]
        return line.startswith("-", column) and (len(line) == column + 1 or line[column + 1] == " ")

    def rest_is_empty(self, index: int, column: int) -> bool:
        """Whether nothing but spaces and a comment follows ``column`` on this line."""
        line = self.lines[index]
        rest = line[column:].lstrip(" ")
        if not rest:
            return True
        start = len(line) - len(rest)
        # '#' starts a comment only at the start of a line or after a space.
        return rest[0] == "#" and (start == 0 or line[start - 1] == " ")

    # -- the document --------------------------------------------------------------------

    def document(self):
        index = self.next_line()
        if index is not None and self.lines[index].startswith("---"):
            if self.lines[index].rstrip(" ") != "---":
                raise _Unsupported
            self.line += 1
            index = self.next_line()
        if index is None:
            return None
        value = self.block(index, self.indent(index), 0)
        if self.next_line() is not None:
            raise _Unsupported  # more documents, '...', or content PyYAML should judge
        return value

    def block(self, index: int, column: int, depth: int):
        """The node that starts at line ``index``, column ``column``, ``depth`` collections
        deep."""
        if column > 4 * MAX_DEPTH or depth >= MAX_DEPTH:
            raise _Unsupported  # deep nesting: the careful reader decides (and refuses)
        if self.is_dash(index, column):
            return self.sequence(index, column, depth)
        key = self.key_at(index, column)
        if key is not None:
            return self.mapping(index, column, key, depth)
        return self.inline(index, column, depth)

    def sequence(self, index: int, column: int, depth: int) -> YList:
        result = YList(self.loc(self.starts[index] + column))
        while True:
            item_column = column + 1
            line = self.lines[index]
            while item_column < len(line) and line[item_column] == " ":
                item_column += 1
            if self.rest_is_empty(index, item_column):
                self.line = index + 1
                # An empty item sits just after its dash, as PyYAML places it.
                value, loc = self.child(column, self.loc(self.starts[index] + column + 1), depth + 1)
            else:
                loc = self.loc(self.starts[index] + item_column)
                value = self.block(index, item_column, depth + 1)
            self.counted()
            result.append(value)
            result.item_locs.append(loc)
            index = self.next_line()
            if index is None or self.indent(index) < column:
                return result
            if self.indent(index) > column or not self.is_dash(index, column):
                if self.indent(index) == column:
                    return result  # a key of the mapping this sequence is the value of
                raise _Unsupported

    def mapping(self, index: int, column: int, key, depth: int) -> YMap:
        result = YMap(self.loc(self.starts[index] + column))
        while True:
            key_text, key_loc, after = key
            if self.rest_is_empty(index, after):
                self.line = index + 1
                after_colon = self.loc(self.starts[index] + after)
                value, value_loc = self.child(column, after_colon, depth + 1, sequence_may_align=True)
            else:
                value_column = after
                line = self.lines[index]
                while line[value_column] == " ":
                    value_column += 1
                value_loc = self.loc(self.starts[index] + value_column)
                value = self.inline(index, value_column, depth + 1)
            self.counted()
            _add(result, key_text, key_loc, value, value_loc)
            index = self.next_line()
            if index is None or self.indent(index) < column:
                return result
            if self.indent(index) > column:
                raise _Unsupported
            key = self.key_at(index, column)
            if key is None:
                raise _Unsupported

    def child(self, parent_column: int, fallback: Loc, depth: int, sequence_may_align: bool = False):
        """The value written on the lines below a ``key:`` or ``-`` with nothing after it."""
        index = self.next_line()
        if index is not None:
            indent = self.indent(index)
            if indent > parent_column or (
                sequence_may_align and indent == parent_column and self.is_dash(index, indent)
            ):
                return self.block(index, indent, depth), self.loc(self.starts[index] + indent)
        return None, fallback

    def key_at(self, index: int, column: int):
        """``(key, loc, column after ':')`` if a ``key:`` starts here, else None."""
        line = self.lines[index]
        first = line[column]
        if first in "\"'":
            text, end = self.quoted(self.starts[index] + column)
            end -= self.starts[index]
            if end >= len(line) or line[end] != ":" or not (end + 1 == len(line) or line[end + 1] == " "):
                return None
            return text, self.loc(self.starts[index] + column), end + 1
        if first in _INDICATORS and not (first == "-" and column + 1 < len(line) and line[column + 1] != " "):
            return None
        content = _strip_comment(line, column)
        colon = content.find(": ", column)
        if colon < 0:
            if not content.endswith(":"):
                return None
            colon = len(content) - 1
        text = content[column:colon].rstrip(" ")
        if not text or "#" in text:
            raise _Unsupported
        return _resolve_plain(text), self.loc(self.starts[index] + column), colon + 1

    # -- values on one line, or flow collections ----------------------------------------

    def inline(self, index: int, column: int, depth: int):
        """A scalar or flow collection starting at ``column``; ends the line it is on."""
        line = self.lines[index]
        pos = self.starts[index] + column
        first = line[column]
        if first in "[{":
            value, end = self.flow(pos, self.indent(index), depth)
        elif first in "\"'":
            value, end = self.quoted(pos)
        else:
            if first in _INDICATORS and not (first == "-" and column + 1 < len(line) and line[column + 1] != " "):
                raise _Unsupported
            content = _strip_comment(line, column).rstrip(" ")
            text = content[column:]
            if ": " in text or text.endswith(":"):
                raise _Unsupported
            value, end = _resolve_plain(text), self.starts[index] + len(content)
        end_index = bisect_right(self.starts, end) - 1
        if not self.rest_is_empty(end_index, end - self.starts[end_index]):
            raise _Unsupported
        self.line = end_index + 1
        return value

    def quoted(self, pos: int):
        """A single- or double-quoted scalar on one line: ``(text, end position)``."""
        text = self.text
        quote = text[pos]
        out = []
        i = pos + 1
        while True:
            if i >= len(text) or text[i] == "\n":
                raise _Unsupported  # multi-line or unterminated: PyYAML decides
            ch = text[i]
            if ch == quote:
                if quote == "'" and text.startswith("'", i + 1):
                    out.append("'")
                    i += 2
                    continue
                return "".join(out), i + 1
            if ch == "\\" and quote == '"':
                escape = text[i + 1 : i + 2]
                if escape in _ESCAPES:
                    out.append(_ESCAPES[escape])
                    i += 2
                    continue
                raise _Unsupported
            out.append(ch)
            i += 1

    def flow(self, pos: int, block_indent: int, depth: int = 0):
        """A ``[...]`` or ``{...}`` collection, possibly over several lines."""
        if depth >= MAX_DEPTH:
            raise _Unsupported  # the careful reader refuses it, with a position
        text = self.text
        opening = text[pos]
        closing = "]" if opening == "[" else "}"
        result = YList(self.loc(pos)) if opening == "[" else YMap(self.loc(pos))
        pos = self.skip_space(pos + 1, block_indent)
        while text[pos] != closing:
            item_loc = self.loc(pos)
            if opening == "[":
                item, pos = self.flow_node(pos, block_indent, depth)
                result.append(item)
                result.item_locs.append(item_loc)
            else:
                if text[pos] in "[{":
                    raise _Unsupported
                key, pos = self.flow_node(pos, block_indent, depth, key=True)
                pos = self.skip_space(pos, block_indent)
                if text[pos] != ":":
                    raise _Unsupported
                pos = self.skip_space(pos + 1, block_indent)
                value_loc = self.loc(pos)  # an empty value sits at the next token, as libyaml has it
                if text[pos] in ",}":
                    value = None
                else:
                    value, pos = self.flow_node(pos, block_indent, depth)
                _add(result, key, item_loc, value, value_loc)
            self.counted()
            pos = self.skip_space(pos, block_indent)
            if text[pos] == ",":
                pos = self.skip_space(pos + 1, block_indent)
            elif text[pos] != closing:
                raise _Unsupported
        return result, pos + 1

    def flow_node(self, pos: int, block_indent: int, depth: int = 0, key: bool = False):
        text = self.text
        first = text[pos]
        if first in "[{":
            return self.flow(pos, block_indent, depth + 1)
        if first in "\"'":
            return self.quoted(pos)
        if first in _INDICATORS and not (first == "-" and text[pos + 1 : pos + 2] not in ("", " ", "\n")):
            raise _Unsupported
        end = pos
        while end < len(text):
            ch = text[end]
            if ch in _FLOW_STOPS or ch == "\n":
                break
            if ch == ":":
                if key and text[end + 1 : end + 2] in ("", " ", "\n"):
                    break
                raise _Unsupported
            if ch == "#" and text[end - 1] == " ":
                raise _Unsupported
            end += 1
        value = text[pos:end].rstrip(" ")
        if end < len(text) and text[end] == "\n":
            # A plain scalar may go on over the next line; only PyYAML folds those.
            after = self.skip_space(end, block_indent)
            if text[after] not in ",]}:":
                raise _Unsupported
        return _resolve_plain(value), end

    def skip_space(self, pos: int, block_indent: int) -> int:
        """Skips spaces, line breaks and comments inside a flow collection."""
        text = self.text
        while True:
            if pos >= len(text):
                raise _Unsupported  # unterminated collection
            ch = text[pos]
            if ch == " ":
                pos += 1
            elif ch == "\n":
                pos += 1
                line_end = text.find("\n", pos)
                line = text[pos : len(text) if line_end < 0 else line_end]
                stripped = line.lstrip(" ")
                if stripped and not stripped.startswith("#") and len(line) - len(stripped) <= block_indent:
                    raise _Unsupported  # continuation not indented: PyYAML's call
            elif ch == "#" and text[pos - 1] in " \n":
                newline = text.find("\n", pos)
                if newline < 0:
                    raise _Unsupported
                pos = newline
            else:
                return pos

    def counted(self) -> None:
        self.count += 1
        if self.count > MAX_VALUES:
            raise SpecError.at(Loc(self.file, None, None), f"more than {MAX_VALUES:,} values: refusing to read")


def _strip_comment(line: str, column: int) -> str:
    """The line without a trailing ``# comment`` (a '#' after a space starts one)."""
    cut = line.find(" #", column)
    return line if cut < 0 else line[:cut]


# --- The authority: PyYAML ----------------------------------------------------------------


def _read_with_pyyaml(text: str, file: str):
    import yaml

    Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(text, file, error) from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow (NUL, controls)
        position = min(max(error.position, 0), len(text))
        line_start = text.rfind("\n", 0, position) + 1
        loc = Loc(file, text.count("\n", 0, position) + 1, position - line_start + 1)
        character = error.character if isinstance(error.character, str) else chr(error.character)
        raise SpecError.at(
            loc, f"invalid YAML: the character U+{ord(character):04X} is not allowed in a YAML file"
        ) from None
    except yaml.YAMLError as error:
        raise SpecError.at(Loc(file, None, None), f"invalid YAML: {error}") from None
    if node is None:
        return None
    _check_expanded_size(node, file)
    return _NodeReader(file, yaml).read(node)


def _check_expanded_size(root, file: str) -> None:
    """Refuses documents whose aliases expand beyond MAX_VALUES ("billion laughs") or that
    nest deeper than MAX_DEPTH, counting each distinct node once: aliases share node
    objects, so this costs what the text costs. Depth is a node's height (its deepest chain
    of children), so an anchor defined deep and used shallow counts where it is used."""
    sizes: dict = {}  # id of a list or mapping node -> values in it, itself included
    heights: dict = {}  # ... -> its deepest chain of children (a scalar's height is 0)
    expanded: set = set()  # nodes whose children are being sized: the path from the root
    stack = [root] if isinstance(root.value, list) else []
    while stack:
        node = stack[-1]
        if id(node) in sizes:
            stack.pop()
            continue
        children = _children(node)
        collections = [child for child in children if isinstance(child.value, list)]
        pending = [child for child in collections if id(child) not in sizes]
        if pending:  # their sizes first; a child met again later is skipped above
            if id(node) in expanded or any(id(child) in expanded for child in pending):
                raise SpecError.at(
                    Loc(file, node.start_mark.line + 1, node.start_mark.column + 1),
                    "an alias inside the anchor it refers to: a list or mapping that contains itself",
                )
            expanded.add(id(node))
            stack.extend(pending)
            continue
        stack.pop()
        size = 1 + len(children) - len(collections) + sum(sizes[id(child)] for child in collections)
        sizes[id(node)] = size
        deepest = max((heights[id(child)] for child in collections), default=-1)
        heights[id(node)] = 1 + (deepest if deepest >= 0 or len(collections) == len(children) else 0)
        if size > MAX_VALUES:
            raise SpecError.at(
                Loc(file, node.start_mark.line + 1, node.start_mark.column + 1),
                f"more than {MAX_VALUES:,} values (aliases expanded): refusing to read",
            )
    if heights.get(id(root), 0) > MAX_DEPTH:
        node = root
        for _ in range(MAX_DEPTH + 1):  # down the deepest chain, to the first node too deep
            node = max(_children(node), key=lambda child: heights.get(id(child), 0))
        raise SpecError.at(
            Loc(file, node.start_mark.line + 1, node.start_mark.column + 1),
            f"lists and mappings nested more than {MAX_DEPTH} deep: refusing to read",
        )


def _children(node) -> list:
    children = node.value if isinstance(node.value, list) else []
    return [part for child in children for part in (child if isinstance(child, tuple) else (child,))]


# Collections may carry only their own standard tags; scalars go through SafeConstructor,
# which refuses any tag it does not know (!!python/... included).
_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


def _syntax_error(text: str, file: str, error) -> SpecError:
    """PyYAML's syntax error, pointed at what the user has to fix where PyYAML knows it."""
    problem, context = error.problem or "", error.context or ""
    opened = error.context_mark
    mark = error.problem_mark or opened

    def at(mark, message: str) -> SpecError:
        loc = Loc(file, mark.line + 1, mark.column + 1) if mark else Loc(file, None, None)
        return SpecError.at(loc, f"invalid YAML: {message}")

    if context == "while parsing a flow node" and mark is not None and _char_at(text, mark) == "":
        # The file ends inside a flow collection: point at the bracket left open.
        offset = _unclosed_bracket(text)
        if offset is not None:
            line = text.count("\n", 0, offset)
            column = offset - (text.rfind("\n", 0, offset) + 1)
            bracket = text[offset]
            closing = "]" if bracket == "[" else "}"
            return SpecError.at(
                Loc(file, line + 1, column + 1), f"invalid YAML: this {bracket} is never closed (no matching {closing})"
            )
    if opened is not None and "flow" in context and "did not find expected" in problem:
        bracket, closing = ("[", "]") if "sequence" in context else ("{", "}")
        found = _char_at(text, mark) if mark is not None else ""
        if found in "]}" and found and found != closing:
            return at(
                mark,
                f"found {found} where {closing} should close the {bracket} at line "
                f"{opened.line + 1}, column {opened.column + 1}",
            )
        return at(opened, f"this {bracket} is never closed (no matching {closing})")
    if opened is not None and "quoted scalar" in context and "end of stream" in problem:
        return at(opened, "this quote is never closed")
    if mark is not None and _char_at(text, mark) == "\t":
        return at(mark, "a tab character: YAML indents with spaces, not tabs")
    message = f"{problem} ({context})" if problem and context else problem or context or "not YAML"
    return at(mark, message + _hint(text, mark, message))


def _unclosed_bracket(text: str):
    """The offset of the innermost ``[`` or ``{`` still open at the end of ``text`` (quoted
    text and comments skipped), or None."""
    stack: list = []
    quote = None
    for offset, ch in enumerate(text):
        if quote:
            if ch == quote or ch == "\n" and quote == "#":
                quote = None
        elif ch in "'\"" or ch == "#" and (offset == 0 or text[offset - 1] in " \n"):
            quote = ch
        elif ch in "[{":
            stack.append(offset)
        elif ch in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _char_at(text: str, mark) -> str:
    lines = text.split("\n")
    if mark.line < len(lines) and mark.column < len(lines[mark.line]):
        return lines[mark.line][mark.column]
    return ""


def _hint(text: str, mark, message: str) -> str:
    """A suggestion for the YAML mistakes architecture files make most."""
    if mark is None:
        return ""
    lines = text.split("\n")
    above = lines[mark.line - 1].strip() if 0 < mark.line <= len(lines) else ""
    if "mapping values are not allowed" in message and above.startswith("- ") and ":" not in above:
        word = above[2:].split()[0] if above[2:].split() else "relu"
        return f"; to give `{above}` keys such as name: or from:, write `- {word}:` with a colon"
    if "expected" in message and mark.line < len(lines):
        return "; check this line's indentation against the lines above"
    return ""


class _NodeReader:
    """Turns PyYAML's composed nodes into YMap/YList/scalars, counting every value read."""

    def __init__(self, file: str, yaml):
        self.file = file
        self.yaml = yaml
        self.constructor = yaml.constructor.SafeConstructor()
        self.count = 0

    def loc(self, node) -> Loc:
        return Loc(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def scalar(self, node):
        """A scalar's value; a tag the value does not fit (``!!int x``, ``!!float abc``) and a
        number longer than MAX_DIGITS are errors at the scalar, not crashes."""
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_DIGITS:
            raise SpecError.at(
                self.loc(node), f"a number of {len(node.value):,} digits: more than cnncalc's limit of {MAX_DIGITS:,}"
            )
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise SpecError.at(self.loc(node), f"{node.value!r} is not a valid {tag} value") from None

    def read(self, node):
        yaml = self.yaml
        self.count += 1
        if self.count > MAX_VALUES:
            raise SpecError.at(self.loc(node), f"more than {MAX_VALUES:,} values (aliases expanded): refusing to read")
        try:
            if isinstance(node, yaml.ScalarNode):
                return self.scalar(node)
            if node.tag not in _COLLECTION_TAGS:
                raise SpecError.at(self.loc(node), f"unsupported YAML tag {node.tag!r}: only plain data is read")
            if isinstance(node, yaml.SequenceNode):
                result = YList(self.loc(node))
                for item in node.value:
                    result.append(self.read(item))
                    result.item_locs.append(self.loc(item))
                return result
            self.constructor.flatten_mapping(node)  # applies '<<' merge keys
            result = YMap(self.loc(node))
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise SpecError.at(self.loc(key_node), "a key must be a plain name, not a list or mapping")
                key = self.read(key_node)
                _add(result, key, self.loc(key_node), self.read(value_node), self.loc(value_node))
            return result
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or node.start_mark
            raise SpecError.at(
                Loc(self.file, mark.line + 1, mark.column + 1), f"invalid YAML: {error.problem}"
            ) from None


__all__ = ["YMap", "YList", "load", "parse", "Diagnostic"]
