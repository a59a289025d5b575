"""``${...}`` expressions in modules: a small, safe evaluator of our own.

    evaluate("width * 4", {"width": 64})          -> 256
    evaluate("stride != 1 or project", {...})     -> True / False
    evaluate("64 * width // 1", {"width": 0.75}) -> 48 (a whole number: ``//`` rounds down)

Numbers, the module's (or the file's top-level) parameters by name, ``+ - * / // %``, unary ``-``, parentheses,
comparisons (``== != < <= > >=``), ``and or not``, ``true``/``false`` and ``min(...)``,
``max(...)``. Nothing else: there are no attributes, no other calls, no strings, and
nothing is ever passed to Python's ``eval``. A malformed expression raises ``ExprError``
naming the column where it went wrong.
"""

from __future__ import annotations

OPERATORS = ("//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "<", ">", "(", ")", ",")
# Operator precedence, lowest first; each level is left-associative.
LEVELS = (("or",), ("and",), ("==", "!=", "<", "<=", ">", ">="), ("+", "-"), ("*", "/", "//", "%"))
FUNCTIONS = {"min": min, "max": max}
MAX_LENGTH = 200
# Parentheses (and calls) nested deeper than this are refused: each level costs the parser
# several frames of Python's recursion.
MAX_NESTING = 32
# Results of more bits than this are refused: a product of a few large parameters would
# otherwise outgrow what Python will print (4,300 digits).
MAX_BITS = 10_000


class ExprError(Exception):
    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.column = column


def evaluate(text: str, names: dict):
    """The value of ``text`` with ``names`` (parameter name -> number or bool)."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"an expression of {len(text)} characters is too long (at most {MAX_LENGTH})")
    parser = _Parser(list(_tokens(text)), names, text)
    value = parser.expression(0)
    if parser.position < len(parser.tokens):
        token, column = parser.tokens[parser.position]
        raise ExprError(f"unexpected {token!r}", column)
    return value


def _tokens(text: str):
    index = 0
    while index < len(text):
        ch = text[index]
        if ch.isspace():
            index += 1
            continue
        if ch.isdigit() or ch == ".":
            start = index
            while index < len(text) and (text[index].isdigit() or text[index] == "."):
                index += 1
            number = text[start:index]
            try:
                yield (float(number) if "." in number else int(number)), start
            except ValueError:
                raise ExprError(f"{number!r} is not a number", start) from None
            continue
        if ch.isalpha() or ch == "_":
            start = index
            while index < len(text) and (text[index].isalnum() or text[index] == "_"):
                index += 1
            yield ("name", text[start:index]), start
            continue
        for operator in OPERATORS:
            if text.startswith(operator, index):
                yield operator, index
                index += len(operator)
                break
        else:
            raise ExprError(f"{ch!r} is not allowed in an expression", index)


class _Parser:
    def __init__(self, tokens, names, text):
        self.tokens, self.names, self.text = tokens, names, text
        self.position = 0
        self.nesting = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, len(self.text))

    def operator(self):
        token, _ = self.peek()
        if isinstance(token, tuple) and token[1] in ("and", "or"):
            return token[1]
        return token if isinstance(token, str) else None

    def expression(self, level: int):
        if level == len(LEVELS):
            return self.unary()
        value = self.expression(level + 1)
        while self.operator() in LEVELS[level]:
            operator = self.operator()
            _, column = self.peek()
            self.position += 1
            right = self.expression(level + 1)
            value = _apply(operator, value, right, column)
        return value

    def unary(self):
        token, column = self.peek()
        if token == "-" or token == ("name", "not"):
            self.position += 1
            self.enter(column)
            value = self.unary()
            self.nesting -= 1
            return -_number(value, column) if token == "-" else not value
        return self.atom()

    def enter(self, column: int) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExprError(f"nested more than {MAX_NESTING} deep", column)

    def atom(self):
        token, column = self.peek()
        self.position += 1
        if isinstance(token, (int, float)) and not isinstance(token, bool):
            return token
        if token == "(":
            self.enter(column)
            value = self.expression(0)
            self.expect(")")
            self.nesting -= 1
            return value
        if isinstance(token, tuple):
            name = token[1]
            if name in ("true", "false"):
                return name == "true"
            if name in FUNCTIONS:
                self.expect("(")
                self.enter(column)
                args = [self.expression(0)]
                while self.peek()[0] == ",":
                    self.position += 1
                    args.append(self.expression(0))
                self.expect(")")
                self.nesting -= 1
                return _call(name, args, column)
            if name in self.names:
                return self.names[name]
            known = ", ".join(sorted(self.names)) or "none"
            raise ExprError(f"unknown name {name!r} (the module's parameters: {known})", column)
        found = "the end" if token is None else repr(token)
        raise ExprError(f"expected a number, a name or '(', found {found}", column)

    def expect(self, wanted: str):
        token, column = self.peek()
        if token != wanted:
            found = "the end" if token is None else repr(token if not isinstance(token, tuple) else token[1])
            raise ExprError(f"expected {wanted!r}, found {found}", column)
        self.position += 1


def _number(value, column: int):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExprError(f"expected a number, got {value!r}", column)
    return value


def _call(name: str, args: list, column: int):
    """``min``/``max`` of numbers, or of one list parameter's numbers."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = list(args[0])
    if not args:
        raise ExprError(f"{name}() of nothing", column)
    return FUNCTIONS[name](_number(arg, column) for arg in args)


def _apply(operator: str, left, right, column: int):
    if operator == "and":
        return bool(left) and bool(right)
    if operator == "or":
        return bool(left) or bool(right)
    if operator in ("==", "!="):
        return (left == right) == (operator == "==")
    left, right = _number(left, column), _number(right, column)
    if operator in ("/", "//", "%") and right == 0:
        raise ExprError("division by zero", column)
    # Only the operator asked for is evaluated: `k // 0` must not be worked out for `k + 0`.
    try:
        result = _OPERATIONS[operator](left, right)
    except OverflowError:
        raise ExprError("the result is too large", column) from None
    if isinstance(result, float):
        if result != result or result in (float("inf"), float("-inf")):
            raise ExprError("the result is not a finite number", column)
        # An exact quotient, and any floor division, is a whole number: `${64 * width // 1}`
        # gives filters 48, not 48.0, which no whole-number argument would take.
        if operator in ("/", "//") and result == int(result):
            result = int(result)
    if isinstance(result, int) and result.bit_length() > MAX_BITS:
        raise ExprError("the result is too large", column)
    return result


_OPERATIONS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
}
