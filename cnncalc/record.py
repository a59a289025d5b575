"""Small immutable records: named fields over a tuple, declared in a class statement.

    class Loc(Record, fields="file line column"):
        "A place in a file."
        __slots__ = ()          # as with namedtuple: no per-instance dict

    Loc("net.yaml", 3, 7).line          # 3
    Loc("net.yaml", line=3, column=7)   # keywords too
    loc._replace(column=1), loc._asdict()

They behave like ``collections.namedtuple`` classes. They exist because cnncalc must
answer in a few milliseconds: namedtuple builds each class by ``exec``-ing generated
source (0.18 ms a class here, a dozen classes), and ``dataclasses`` imports ``inspect``
(about 20 ms, as long as starting Python). See bench/.
"""

from __future__ import annotations

from operator import itemgetter


class Record(tuple):
    """Base of immutable records; subclasses name their fields with ``fields="a b c"``."""

    __slots__ = ()
    _fields: tuple = ()

    def __init_subclass__(cls, fields: str | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if fields is not None:
            cls._fields = tuple(fields.split())
            for index, name in enumerate(cls._fields):
                setattr(cls, name, property(itemgetter(index), doc=f"Field {index}: {name}."))

    def __new__(cls, *args, **kwargs):
        fields = cls._fields
        if kwargs:
            try:
                args = args + tuple([kwargs.pop(name) for name in fields[len(args) :]])
            except KeyError as missing:
                raise TypeError(f"{cls.__name__}: missing field {missing}") from None
            if kwargs:
                raise TypeError(f"{cls.__name__}: unexpected fields {sorted(kwargs)}")
        if len(args) != len(fields):
            raise TypeError(f"{cls.__name__} takes {len(fields)} fields ({', '.join(fields)}), got {len(args)}")
        return tuple.__new__(cls, args)

    @classmethod
    def _make(cls, values):
        """A record of ``values`` in field order, unchecked (as namedtuple's): for loops that
        make many (the executor, a record a layer)."""
        return tuple.__new__(cls, values)

    def __getnewargs__(self):
        return tuple(self)

    def _asdict(self) -> dict:
        return dict(zip(self._fields, self))

    def _replace(self, **changes):
        return tuple.__new__(type(self), [changes.pop(name, value) for name, value in zip(self._fields, self)])

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"{type(self).__name__}({inner})"


def plain(value):
    """JSON-ready data: a record as a dict of its fields, a tuple or list as a list, each
    item likewise; anything else as it is.

    >>> class Point(Record, fields="x y"):
    ...     __slots__ = ()
    >>> plain((Point(1, (2, 3)), "global"))
    [{'x': 1, 'y': [2, 3]}, 'global']
    """
    if isinstance(value, Record):
        return {name: plain(item) for name, item in zip(value._fields, value)}
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value
