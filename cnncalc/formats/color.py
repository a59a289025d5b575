"""Whether to write colors and styles, as ``--color auto|always|never`` and the environment say.

``auto`` follows the conventions other tools follow (https://no-color.org,
https://force-color.org): ``NO_COLOR`` set and not empty turns colors off, ``FORCE_COLOR``
set and not empty turns them on, ``TERM=dumb`` off; otherwise colors go to a terminal
and never into a pipe or a file. ``always`` and ``never`` override all of that.

    >>> import io
    >>> wanted("always", io.StringIO()), wanted("never", io.StringIO()), wanted("auto", io.StringIO())
    (True, False, False)
"""

from __future__ import annotations

import os

CHOICES = ("auto", "always", "never")


def wanted(choice: str, stream) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())
