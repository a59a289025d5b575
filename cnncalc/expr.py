"""``${...}`` expressions in modules: a small, safe evaluator of our own.

    evaluate("width * 4", {"width": 64})          -> 256
    evaluate("stride != 1 or project", {...})     -> True / False
    evaluate("64 * width // 1", {"width": 0.75}) -> 48 (a whole number: ``//`` rounds down)
    evaluate("stride if i == 0 else 1", {...})    -> the first block's stride, then 1

Numbers, the module's (or the file's top-level) parameters by name, ``+ - * / // %``, unary ``-``, parentheses,
comparisons (``== != < <= > >=``), ``and or not``, ``true``/``false``, ``min(...)``,
``max(...)`` and Python's conditional ``A if CONDITION else B`` (lowest precedence; only the
branch taken is worked out, so ``w // g if g else w`` holds for g = 0). Nothing else: there
are no attributes, no other calls, no strings, and nothing is ever passed to Python's
``eval``. A malformed expression raises ``ExprError``
naming the column where it went wrong.
"""

from __future__ import annotations

OPERATORS = ("//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "<", ">", "(", ")", ",")
# Operator precedence, lowest first; each level is left-associative.
LEVELS = (("or",), ("and",), ("==", "!=", "<", "<=", ">", ">="), ("+", "-"), ("*", "/", "//", "%"))
FUNCTIONS = {"min": min, "max": max}
KEYWORDS = ("if", "else")  # of the conditional; never a name
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
    value = parser.conditional()
    if parser.position < len(parser.tokens):
        token, column = parser.tokens[parser.position]
        raise ExprError(f"unexpected {token[1] if isinstance(token, tuple) else token!r}", column)
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
        # > 0 while reading a branch that is not taken: checked, never worked out (its
        # arithmetic gives 0, which nothing reads).
        self.skipping = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, len(self.text))

    def operator(self):
        token, _ = self.peek()
        if isinstance(token, tuple) and token[1] in ("and", "or"):
            return token[1]
        return token if isinstance(token, str) else None

    def conditional(self):
        """``A if C else B`` (right-associative: B may be another), or a plain expression.
        Each part is read once: C first, then the branch taken worked out and the other only
        checked."""
        start, at_if = self.position, self.find_if()
        if at_if is None:
            return self.expression(0)
        self.position = at_if + 1
        taken = bool(self.expression(0))
        self.expect_word("else")
        after_else = self.position
        if taken:
            self.skipping += 1
            self.conditional()  # B, only checked
            self.skipping -= 1
            end, self.position = self.position, start
            value = self.expression(0)
        else:
            self.position = start
            self.skipping += 1
            self.expression(0)  # A, only checked
            self.skipping -= 1
        if self.position != at_if:
            token, column = self.peek()
            raise ExprError(f"unexpected {token[1] if isinstance(token, tuple) else token!r}", column)
        if not taken:
            self.position = after_else
            return self.conditional()
        self.position = end
        return value

    def find_if(self):
        """The position of the ``if`` that ends the expression starting here (outside any
        parentheses), or None: where the expression ends (``)``, ``,`` or the end) comes first."""
        depth = 0
        for position in range(self.position, len(self.tokens)):
            token = self.tokens[position][0]
            if token == "(":
                depth += 1
            elif token in (")", ","):
                if depth == 0:
                    return None
                depth -= 1
            elif depth == 0 and token == ("name", "if"):
                return position
        return None

    def apply(self, operator: str, left, right, column: int):
        return 0 if self.skipping else _apply(operator, left, right, column)

    def expression(self, level: int):
        if level == len(LEVELS):
            return self.unary()
        value = self.expression(level + 1)
        while self.operator() in LEVELS[level]:
            operator = self.operator()
            _, column = self.peek()
            self.position += 1
            right = self.expression(level + 1)
            value = self.apply(operator, value, right, column)
        return value

    def unary(self):
        token, column = self.peek()
        if token == "-" or token == ("name", "not"):
            self.position += 1
            self.enter(column)
            value = self.unary()
            self.nesting -= 1
            if self.skipping:
                return 0
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
            value = self.conditional()
            self.expect(")")
            self.nesting -= 1
            return value
        if isinstance(token, tuple):
            name = token[1]
            if name in ("true", "false"):
                return name == "true"
            if name in KEYWORDS:
                raise ExprError(f"unexpected {name!r}", column)
            if name in FUNCTIONS:
                self.expect("(")
                self.enter(column)
                args = [self.conditional()]
                while self.peek()[0] == ",":
                    self.position += 1
                    args.append(self.conditional())
                self.expect(")")
                self.nesting -= 1
                return 0 if self.skipping else _call(name, args, column)
            if name in self.names:
                return self.names[name]
            known = ", ".join(sorted(self.names)) or "none"
            raise ExprError(f"unknown name {name!r} (the module's parameters: {known})", column)
        found = "the end" if token is None else repr(token)
        raise ExprError(f"expected a number, a name or '(', found {found}", column)

    def expect_word(self, wanted: str):
        token, column = self.peek()
        if token != ("name", wanted):
            found = "the end" if token is None else repr(token if not isinstance(token, tuple) else token[1])
            raise ExprError(f"expected {wanted!r}, found {found}", column)
        self.position += 1

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
