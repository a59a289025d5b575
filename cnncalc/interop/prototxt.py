"""Protocol Buffers' text format (Caffe's ``.prototxt``) read into messages that remember
where each field was written; a small reader of cnncalc's own, without the protobuf package.

What it reads: fields ``name: value`` and messages ``name { ... }`` (or ``name: { ... }``,
or in angle brackets), repeated fields written again or as a list ``name: [a, b]``, strings
in double or single quotes with C escapes (adjacent strings are joined), numbers (whole,
decimal, exponent, hexadecimal, ``inf``, ``nan``, a trailing ``f``), identifiers (enum
values such as ``MAX``, and ``true``/``false``), ``#`` comments to the end of the line, and
an optional ``;`` or ``,`` after a field.

Without the schema (Caffe's ``caffe.proto``) a repeated field cannot be told from one
written twice by mistake, so the reader of the messages says which it expects:
``Message.one(name)`` refuses a field given twice, ``Message.all(name)`` takes every one.

>>> message = parse('name: "AlexNet"  # a comment\\nlayer { name: "conv1" top: "conv1" }', "net.prototxt")
>>> message.one("name").value
'AlexNet'
>>> [field.value.one("top").value for field in message.all("layer")]
['conv1']
>>> message.one("layer").loc.line
2
"""

from __future__ import annotations

from ..errors import Loc, SpecError
from ..record import Record

MAX_DEPTH = 100  # messages nested deeper than this are refused, as YAML nested too deep is
MAX_DIGITS = 4300  # Python's own limit on converting digits to an integer

_SPACE = frozenset(" \t\r\n\f\v")
_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_WORD = _WORD_START | frozenset("0123456789")
_NUMBER = _WORD | frozenset(".+-")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "\\": "\\",
            "'": "'", '"': '"', "?": "?"}  # fmt: skip
_CLOSING = {"{": "}", "<": ">"}


class Identifier(str):
    """A value written without quotes: an enum value (``MAX``) or ``true``/``false``."""

    __slots__ = ()


class Field(Record, fields="name value loc name_loc"):
    """One field as written: its value (a str, an :class:`Identifier`, an int, a float or a
    :class:`Message`), where the value starts, and where the name is."""

    __slots__ = ()


class Message:
    """The fields of one message in the order written; ``loc`` is where it opens."""

    __slots__ = ("fields", "loc")

    def __init__(self, fields: list, loc: Loc):
        self.fields = fields
        self.loc = loc

    def all(self, name: str) -> list:
        """Every field called ``name`` (a repeated field), in order."""
        return [field for field in self.fields if field.name == name]

    def one(self, name: str):
        """The field called ``name`` or None; a field that takes one value, given twice, is an error."""
        found = self.all(name)
        if len(found) > 1:
            raise SpecError.at(
                found[1].name_loc,
                f'"{name}" is given twice (first at line {found[0].name_loc.line}); it takes one value',
            )
        return found[0] if found else None

    def names(self) -> list:
        return list(dict.fromkeys(field.name for field in self.fields))


def parse(text: str, file: str = "<string>") -> Message:
    """The top-level message of ``text``; raises SpecError at the line and column at fault."""
    return _Reader(text, file).document()


class _Reader:
    def __init__(self, text: str, file: str):
        self.text = text
        self.file = file
        self.pos = 0
        self.line = 1
        self.line_start = 0

    # -- positions and errors ---------------------------------------------------------------

    def loc(self, pos: int | None = None) -> Loc:
        if pos is None or pos == self.pos:
            return Loc(self.file, self.line, self.pos - self.line_start + 1)
        line = self.text.count("\n", 0, pos) + 1
        return Loc(self.file, line, pos - (self.text.rfind("\n", 0, pos) + 1) + 1)

    def fail(self, message: str, pos: int | None = None):
        raise SpecError.at(self.loc(pos), message)

    def describe(self) -> str:
        if self.pos >= len(self.text):
            return "the end of the file"
        char = self.text[self.pos]
        return f'"{char}"' if char.isprintable() else f"the character U+{ord(char):04X}"

    # -- tokens -------------------------------------------------------------------------------

    def skip(self) -> None:
        """Past spaces, newlines and ``#`` comments."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\n":
                self.pos += 1
                self.line += 1
                self.line_start = self.pos
            elif char in _SPACE:
                self.pos += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def word(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _WORD:
            self.pos += 1
        return self.text[start : self.pos]

    # -- grammar ------------------------------------------------------------------------------

    def document(self) -> Message:
        message = self.fields(None, Loc(self.file, 1, 1), 0)
        if self.peek():
            self.fail(f"expected a field name, found {self.describe()}")
        return message

    def fields(self, closing: str | None, loc: Loc, depth: int) -> Message:
        if depth > MAX_DEPTH:
            self.fail(f"messages nested more than {MAX_DEPTH} deep: refusing to read")
        found = []
        while True:
            char = self.peek()
            if not char or char == closing:
                if char != (closing or ""):
                    self.fail(f'the message opened at line {loc.line} is not closed: expected "{closing}"')
                self.pos += len(char)
                return Message(found, loc)
            if char == "[":
                self.fail("extensions ([name]) are not read; Caffe's files have none")
            if char not in _WORD_START:
                what = "a field name" + (f' or "{closing}"' if closing else "")
                self.fail(f"expected {what}, found {self.describe()}")
            name_loc = self.loc()
            name = self.word()
            char = self.peek()
            if char == ":":
                self.pos += 1
                char = self.peek()
                if char == "[":
                    self.pos += 1
                    found.extend(self.items(name, name_loc, depth))
                else:
                    found.append(self.value(name, name_loc, depth))
            elif char in _CLOSING:
                found.append(self.value(name, name_loc, depth))
            else:
                self.fail(f'expected ":" or "{{" after the field name "{name}", found {self.describe()}')
            if self.peek() in (";", ","):
                self.pos += 1

    def items(self, name: str, name_loc: Loc, depth: int) -> list:
        """``name: [a, b, c]``: each item one value of the repeated field."""
        found = []
        if self.peek() == "]":
            self.pos += 1
            return found
        while True:
            found.append(self.value(name, name_loc, depth))
            char = self.peek()
            self.pos += 1
            if char == "]":
                return found
            if char != ",":
                self.pos -= 1
                self.fail(f'expected "," or "]" in the list of "{name}", found {self.describe()}')

    def value(self, name: str, name_loc: Loc, depth: int) -> Field:
        char = self.peek()
        loc = self.loc()
        if char in _CLOSING:
            self.pos += 1
            return Field(name, self.fields(_CLOSING[char], loc, depth + 1), loc, name_loc)
        if char in ("'", '"'):
            parts = []
            while self.peek() in ("'", '"'):
                parts.append(self.string())
            return Field(name, "".join(parts), loc, name_loc)
        if char and (char in _NUMBER):
            return Field(name, self.scalar(name), loc, name_loc)
        self.fail(f'expected a value for "{name}", found {self.describe()}')

    def scalar(self, name: str):
        """A number or an identifier (an enum value, true, false, inf, nan)."""
        start = self.pos
        sign = ""
        if self.text[self.pos] in "+-":
            sign = self.text[self.pos]
            self.pos += 1
            self.skip_spaces_on_line()
        body_start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _NUMBER:
            if self.text[self.pos] in "+-" and self.text[self.pos - 1] not in "eE":
                break
            self.pos += 1
        body = self.text[body_start : self.pos]
        if not body:
            self.fail(f'expected a number after "{sign}" for "{name}", found {self.describe()}')
        if body[0] in _WORD_START:
            lowered = body.lower()
            if lowered in ("inf", "infinity", "nan"):
                return float(sign + lowered)
            if sign or not all(ch in _WORD for ch in body):
                self.fail(f'"{sign}{body}" is neither a number nor a name', start)
            return Identifier(body)
        return _number(sign, body, lambda message: self.fail(f'"{name}": {message}', start))

    def skip_spaces_on_line(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def string(self) -> str:
        text = self.text
        quote = text[self.pos]
        start = self.pos
        self.pos += 1
        out = []
        while True:
            if self.pos >= len(text) or text[self.pos] == "\n":
                self.fail("a string not closed on its line", start)
            char = text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(out)
            if char != "\\":
                out.append(char)
                self.pos += 1
                continue
            self.pos += 1
            escape = text[self.pos] if self.pos < len(text) else ""
            if escape in _ESCAPES:
                out.append(_ESCAPES[escape])
                self.pos += 1
            elif escape in ("x", "X"):
                digits = self.run(self.pos + 1, "0123456789abcdefABCDEF", 2)
                if not digits:
                    self.fail("\\x needs hexadecimal digits", self.pos - 1)
                out.append(chr(int(digits, 16)))
                self.pos += 1 + len(digits)
            elif escape and escape in "01234567":
                digits = self.run(self.pos, "01234567", 3)
                out.append(chr(int(digits, 8)))
                self.pos += len(digits)
            else:
                self.fail(f"an unknown escape \\{escape} in a string", self.pos - 1)

    def run(self, pos: int, allowed: str, most: int) -> str:
        end = pos
        while end < len(self.text) and end - pos < most and self.text[end] in allowed:
            end += 1
        return self.text[pos:end]


def _number(sign: str, body: str, fail):
    """An int or float from the text format's forms: ``12``, ``0x1F``, ``017`` (octal), ``1.5``, ``1e-4``, ``2.5f``."""
    lowered = body.lower()
    if len(body) > MAX_DIGITS:
        fail(f"a number of {len(body):,} digits: more than cnncalc's limit of {MAX_DIGITS:,}")
    if lowered.startswith("0x"):
        try:
            return int(sign + lowered[2:], 16)
        except ValueError:
            fail(f'"{sign}{body}" is not a hexadecimal number')
    if all(ch in "0123456789" for ch in body):
        if len(body) > 1 and body[0] == "0":
            try:
                return int(sign + body, 8)
            except ValueError:
                fail(f'"{sign}{body}" is not an octal number (a leading 0 means octal)')
        return int(sign + body)
    if lowered.endswith("f") and not lowered.startswith("0x"):
        lowered = lowered[:-1]
    try:
        return float(sign + lowered)
    except ValueError:
        fail(f'"{sign}{body}" is not a number')
