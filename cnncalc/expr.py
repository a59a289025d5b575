"""``${...}`` expressions in modules: a small, safe evaluator of our own.

    evaluate("width * 4", {"width": 64})          -> 256
    evaluate("stride != 1 or project", {...})     -> True / False

Numbers, the module's parameters by name, ``+ - * / // %``, unary ``-``, parentheses,
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
        if token == "-":
            self.position += 1
            return -_number(self.unary(), column)
        if token == ("name", "not"):
            self.position += 1
            return not self.unary()
        return self.atom()

    def atom(self):
        token, column = self.peek()
        self.position += 1
        if isinstance(token, (int, float)) and not isinstance(token, bool):
            return token
        if token == "(":
            value = self.expression(0)
            self.expect(")")
            return value
        if isinstance(token, tuple):
            name = token[1]
            if name in ("true", "false"):
                return name == "true"
            if name in FUNCTIONS:
                self.expect("(")
                args = [self.expression(0)]
                while self.peek()[0] == ",":
                    self.position += 1
                    args.append(self.expression(0))
                self.expect(")")
                return FUNCTIONS[name](*args)
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


def _apply(operator: str, left, right, column: int):
    if operator == "and":
        return bool(left) and bool(right)
    if operator == "or":
        return bool(left) or bool(right)
    if operator in ("==", "!="):
        return (left == right) == (operator == "==")
    left, right = _number(left, column), _number(right, column)
    if operator in ("<", "<=", ">", ">="):
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]
    if operator in ("/", "//", "%") and right == 0:
        raise ExprError("division by zero", column)
    if operator == "/":
        result = left / right
        return int(result) if result == int(result) else result
    return {"+": left + right, "-": left - right, "*": left * right, "//": left // right, "%": left % right}[operator]
