"""Docstrings (written in reStructuredText, for the docs) as plain text for a terminal.

>>> plain("Depthwise is ``groups`` equal to the channels.\\n\\nExample::\\n\\n    - conv: 3")
'Depthwise is `groups` equal to the channels.\\n\\nExample:\\n\\n    - conv: 3'
"""

from __future__ import annotations


def plain(text: str) -> str:
    """``literal`` becomes `literal` (as cnncalc's messages quote), a closing ``::`` one colon."""
    lines = []
    for line in text.replace("``", "`").split("\n"):
        stripped = line.rstrip()
        lines.append(stripped[:-1] if stripped.endswith("::") else line)
    return "\n".join(lines)
