"""The zoo: the classic networks of ``architectures/``, by name.

``cnncalc summarize vgg16`` works from any folder: a name that is no existing file is
looked up here. An installed wheel carries the files inside the package
(``cnncalc/architectures/``, put there by pyproject's ``force-include``); a checkout of
the repository reads them from ``architectures/`` beside the package. A file path that
exists always wins over a zoo name.

A folder named ``blocks`` holds modules that the networks beside it share through
``import:`` (``torchvision/blocks/resnet.yaml``): no network, so no zoo name. That is the one
rule; whatever lists the zoo asks :func:`names` or :func:`is_network`.

    >>> "vgg16" in names()
    True
    >>> resolve("vgg16").endswith("vgg16.yaml")
    True
    >>> resolve("no/such/file.yaml")
    'no/such/file.yaml'
    >>> is_network("torchvision/blocks/resnet"), is_network("torchvision/resnet50")
    (False, True)
"""

from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.abspath(__file__))
FOLDERS = (os.path.join(_HERE, "architectures"), os.path.join(os.path.dirname(_HERE), "architectures"))
SUFFIX = ".yaml"
BLOCKS = "blocks"  # a folder of shared modules, imported by the networks beside it


def is_network(name: str) -> bool:
    """Whether the zoo name (or a path below the zoo) is a network, not a file of shared blocks."""
    return BLOCKS not in name.replace(os.sep, "/").split("/")[:-1]  # the folders it is in


def folder() -> str | None:
    """Where the zoo's files are, or None when neither the package nor a checkout has them."""
    return next((candidate for candidate in FOLDERS if os.path.isdir(candidate)), None)


def names() -> list:
    """Every network's name (its path below the zoo, without ``.yaml``), sorted."""
    top = folder()
    found = []
    if top is not None:
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for name in files:
                relative = os.path.relpath(os.path.join(root, name), top).replace(os.sep, "/")
                if name.endswith(SUFFIX) and is_network(relative):
                    found.append(relative[: -len(SUFFIX)])
    return sorted(found)


def find(name: str) -> str | None:
    """The path of the zoo network ``name`` (``vgg16`` or ``vgg16.yaml``), or None."""
    top = folder()
    if top is None or not name or ".." in name.split("/") or os.path.isabs(name):
        return None
    stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name
    if not is_network(stem):
        return None
    path = os.path.join(top, *stem.split("/")) + SUFFIX
    return path if os.path.isfile(path) else None


def resolve(file: str) -> str:
    """``file`` itself when it exists (or is ``-``), else the zoo's file of that name, else
    ``file`` unchanged (reading it then says that it cannot be read)."""
    if file == "-" or os.path.exists(file):
        return file
    return find(file) or file
