"""The one-line notation of the course notes, for quick questions:

    cnncalc summarize --pattern "INPUT 32x32x3 -> [CONV5-6 -> RELU -> POOL2]*2 -> FC120 -> FC84 -> FC10"

Grammar (case does not matter)::

    pattern  := INPUT shape ("->" item)*
    shape    := 32x32x3 (H x W x C, as the notes write it) | 3,32,32 (channels first)
    item     := layer ("*" N)? | "[" item ("->" item)* "]" ("*" N)?
    layer    := (CONV<k>-<filters> | POOL<k>? | AVGPOOL<k>? | FC<units> | DROPOUT<p>?
                 | LRN<size>? | NORM | any layer type name (RELU, SOFTMAX, FLATTEN, ...)) "?"?
    options  := after a layer, "/" separated: s<N> (stride), p<N> (padding), same, valid

``CONV5-6`` is 6 filters of 5x5, stride 1, no padding (``CONV3-64/same`` pads to keep
the size); ``POOL2`` (or ``POOL``) is 2x2 max pooling with stride 2 (``POOL3/s2`` for
overlapping).
``[...]*N`` repeats a block; ``X*N`` repeats one layer; ``*0`` leaves it out, as the notes'
``[CONV -> RELU]*N`` allows N = 0. ``LRN`` and the notes' ``NORM`` are AlexNet's local
response normalisation (5 channels, k = 2); ``LRN3`` another window. A trailing ``?`` is the
notes' optional layer (``POOL?``): kept, so a pattern copied from the notes reads as written;
``POOL*0`` leaves it out.

The notation is turned into the same located values a YAML file is read into, so it is
checked by the same rules, and errors point at the column of the pattern.
"""

from __future__ import annotations

from .errors import Loc, SpecError
from .graph import MAX_LAYERS
from .source import MAX_DEPTH, MAX_DIGITS, YList, YMap

FILE = "<pattern>"


def document(text: str) -> YMap:
    """The pattern as an architecture file's values (see ``cnncalc.spec.parse``)."""
    return _Parser(text).document()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = list(_tokens(text))
        self.index = 0
        self.depth = 0  # [ blocks open
        self.written = 0  # layers written out so far (X*N writes N)

    def loc(self, column: int) -> Loc:
        return Loc(FILE, 1, column + 1)

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else (None, len(self.text))

    def take(self, expected: str | None = None):
        token, column = self.peek()
        if expected is not None and (token is None or token.upper() != expected):
            found = "the end" if token is None else f'"{token}"'
            raise SpecError.at(self.loc(column), f'expected "{expected}" here, found {found}')
        self.index += 1
        return token, column

    def document(self) -> YMap:
        top = YMap(self.loc(0))
        word, column = self.take()
        if word is None or word.upper() != "INPUT":
            raise SpecError.at(self.loc(column), 'a pattern starts with INPUT and a shape: "INPUT 32x32x3 -> ..."')
        shape_text, shape_column = self.take()
        if shape_text is None or shape_text in ("->", "[", "]", "*"):
            raise SpecError.at(
                self.loc(shape_column), 'INPUT needs a shape: "INPUT 32x32x3" (H x W x C) or "INPUT 3,32,32"'
            )
        shape = YList(self.loc(shape_column))
        for number in _shape(shape_text, self.loc(shape_column)):
            shape.append(number)
            shape.item_locs.append(self.loc(shape_column))
        _put(top, "input", shape, self.loc(column), self.loc(shape_column))
        layers = YList(self.loc(shape_column))
        while self.peek()[0] is not None:
            self.take("->")
            self.item(layers)
        if not layers:
            raise SpecError.at(self.loc(len(self.text)), 'no layers: continue with "-> CONV3-64 -> ..."')
        _put(top, "layers", layers, self.loc(column), layers.loc)
        return top

    def item(self, layers: YList) -> None:
        token, column = self.peek()
        if token == "[":
            self.take("[")
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise SpecError.at(self.loc(column), f"blocks nested more than {MAX_DEPTH} deep")
            block = YList(self.loc(column))
            self.item(block)
            while self.peek()[0] == "->":
                self.take("->")
                self.item(block)
            self.take("]")
            self.depth -= 1
            count = self.count()
            repeat = YMap(self.loc(column))
            _put(repeat, "repeat", count, self.loc(column), self.loc(column))
            _put(repeat, "layers", block, self.loc(column), self.loc(column))
            layers.append(repeat)
            layers.item_locs.append(self.loc(column))
            return
        if token is None or token in ("->", "]", "*"):
            found = "the end" if token is None else f'"{token}"'
            raise SpecError.at(self.loc(column), f"expected a layer (CONV3-64, POOL2, FC10, RELU, ...), found {found}")
        self.take()
        layer = _layer(token, self.loc(column))
        count = self.count()
        self.written += count
        if self.written > MAX_LAYERS:  # before writing them out, not after
            raise SpecError.at(
                self.loc(column), f"the pattern writes out more than cnncalc's limit of {MAX_LAYERS:,} layers"
            )
        for _ in range(count):
            layers.append(layer)
            layers.item_locs.append(self.loc(column))

    def count(self) -> int:
        if self.peek()[0] != "*":
            return 1
        self.take("*")
        token, column = self.take()
        count = _whole(token)
        if count is None:
            raise SpecError.at(self.loc(column), f'expected a repeat count after "*", found {token!r}')
        return count


def _tokens(text: str):
    """Words, numbers, "->", "[", "]" and "*", with their columns."""
    index = 0
    while index < len(text):
        ch = text[index]
        if ch.isspace():
            index += 1
        elif text.startswith("->", index):
            yield "->", index
            index += 2
        elif ch in "[]*":
            yield ch, index
            index += 1
        else:
            start = index
            while (
                index < len(text)
                and not text[index].isspace()
                and text[index] not in "[]*"
                and not text.startswith("->", index)
            ):
                index += 1
            yield text[start:index], start


def _whole(text) -> int | None:
    """A whole number written in ASCII digits (not ``²``, ``1_000`` or 5,000 digits), else None."""
    if text and text.isascii() and text.isdecimal() and len(text) <= MAX_DIGITS:
        return int(text)
    return None


def _shape(text: str, loc: Loc) -> list:
    lowered = text.lower()
    parts = lowered.split("x") if "x" in lowered else text.split(",")
    numbers = [_whole(part) for part in parts]
    if None in numbers:
        raise SpecError.at(loc, f'a shape is written 32x32x3 (H x W x C) or 3,32,32, not "{text}"')
    return numbers if "x" not in lowered or len(numbers) == 1 else [numbers[-1], *numbers[:-1]]


def _layer(token: str, loc: Loc):
    """``CONV5-6/s2`` -> ``{"conv": {filters: 6, kernel: 5, stride: 2}}`` (as located values)."""
    word, *options = token.split("/")
    if word.endswith("?") and len(word) > 1:  # the notes' optional layer, kept
        word = word[:-1]
    upper = word.upper()
    args: dict = {}
    kind = None
    if upper in ("POOL", "MAXPOOL", "AVGPOOL"):
        # The notes' common pooling: 2x2 windows at stride 2.
        kind, args = ("avgpool" if upper == "AVGPOOL" else "maxpool"), {"kernel": 2}
    elif upper in ("LRN", "NORM"):
        # AlexNet's (section 3.3): n = 5 channels, k = 2, alpha = 1e-4, beta = 0.75.
        kind, args = "lrn", {"size": 5, "k": 2}
    elif upper.startswith("NORM") and upper[4:].isdigit():
        raise SpecError.at(
            loc, f'"{word}" numbers the notes\' layers: write NORM (5 channels) or LRN<size> for another window'
        )
    for prefix, name in (
        ("CONV", "conv"),
        ("AVGPOOL", "avgpool"),
        ("MAXPOOL", "maxpool"),
        ("POOL", "maxpool"),
        ("FC", "fc"),
        ("DROPOUT", "dropout"),
        ("LRN", "lrn"),
    ):
        rest = upper[len(prefix) :]
        if kind is None and upper.startswith(prefix) and (rest[:1].isdigit() or rest.startswith(".")):
            kind = name
            if name == "conv":
                kernel, _, filters = rest.partition("-")
                if _whole(kernel) is None or _whole(filters) is None:
                    raise SpecError.at(
                        loc, f'write a convolution as CONV<kernel>-<filters>, e.g. CONV3-64, not "{word}"'
                    )
                args = {"filters": _whole(filters), "kernel": _whole(kernel)}
            elif name == "fc":
                args = {"units": _number(rest, word, loc)}
            elif name == "dropout":
                args = {"p": _probability(rest, word, loc)}
            elif name == "lrn":
                args = {"size": _number(rest, word, loc), "k": 2}
            else:
                args = {"kernel": _number(rest, word, loc)}
            break
    if kind is None:
        kind = word.lower()  # a layer type by name; spec.parse checks it ("did you mean")
    for option in options:
        lowered = option.lower()
        if lowered in ("same", "valid"):
            args["padding"] = lowered
        elif lowered[:1] in ("s", "p") and _whole(lowered[1:]) is not None:
            args["stride" if lowered[0] == "s" else "padding"] = _whole(lowered[1:])
        else:
            raise SpecError.at(loc, f'unknown option "/{option}": use /s<N> (stride), /p<N> (padding), /same or /valid')
    if not args:
        return kind
    layer = YMap(loc)
    values = YMap(loc)
    for key, value in args.items():
        _put(values, key, value, loc, loc)
    _put(layer, kind, values, loc, loc)
    return layer


def _number(text: str, word: str, loc: Loc) -> int:
    number = _whole(text)
    if number is None:
        raise SpecError.at(loc, f'expected a number after the layer name in "{word}"')
    return number


def _probability(text: str, word: str, loc: Loc) -> float:
    """``DROPOUT.5`` or ``DROPOUT0.25`` (``DROPOUT`` alone: 0.5)."""
    if not text:
        return 0.5
    whole, dot, fraction = text.partition(".")
    if not (whole or fraction) or not all(_whole(part) is not None for part in (whole, fraction) if part):
        raise SpecError.at(loc, f'write a dropout as DROPOUT<p>, e.g. DROPOUT.5 or DROPOUT0.25, not "{word}"')
    return float(text)


def _put(mapping: YMap, key, value, key_loc: Loc, value_loc: Loc) -> None:
    mapping[key] = value
    mapping.key_locs[key] = key_loc
    mapping.value_locs[key] = value_loc
