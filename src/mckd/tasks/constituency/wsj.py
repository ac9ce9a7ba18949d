"""Finding the WSJ ``.mrg`` files of a Penn Treebank copy, grouped by section.

The Penn Treebank (LDC99T42, Treebank-3) may not be redistributed, so users point mckd at
their own copy. Accepted layouts, tried in this order:

- the LDC layout given its root: ``<root>/parsed/mrg/wsj/SS/wsj_SSNN.mrg`` (also found below
  ``<root>/treebank_3/``, and Treebank-2's ``<root>/combined/wsj/SS/``);
- any folder of two-digit section folders (``wsj/SS/*.mrg``), e.g. ``parsed/mrg/wsj`` itself;
- one flat folder of ``wsj_SSNN.mrg`` files, the section being ``SS`` of each name.

File names are matched without regard to case (``WSJ_0201.MRG`` from some copies).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from mckd.core.errors import DataError

logger = logging.getLogger(__name__)

#: where the section folders sit below the folder the user passes ("." = that folder itself)
SECTION_PARENTS = ("parsed/mrg/wsj", "treebank_3/parsed/mrg/wsj", "combined/wsj", "mrg/wsj",
                   "wsj", ".")
LAYOUT_HELP = (
    "expected the LDC Treebank-3 layout (pass the folder holding parsed/mrg/wsj/SS/wsj_SSNN.mrg), "
    "a folder of two-digit section folders (SS/wsj_SSNN.mrg), or one folder of wsj_SSNN.mrg files"
)
_SECTION_DIR = re.compile(r"\d\d")
_WSJ_FILE = re.compile(r"wsj_(\d\d)\d\d\.mrg", re.IGNORECASE)


@dataclass(frozen=True)
class WsjFiles:
    """The ``.mrg`` files found under a Penn Treebank copy.

    Attributes:
        root: the folder the user passed.
        layout: ``"sections"`` (section folders) or ``"flat"`` (one folder of files).
        where: the folder holding the section folders or the flat files.
        by_section: two-digit section -> its ``.mrg`` files, sorted by name.
    """

    root: Path
    layout: str
    where: Path
    by_section: dict[str, list[Path]]

    def files(self, sections: tuple[str, ...]) -> list[Path]:
        """The files of ``sections`` (those present), in section then name order."""
        return [f for s in sections for f in self.by_section.get(s, [])]


def _is_mrg(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".mrg"


def _mrg_files(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if _is_mrg(p)), key=lambda p: p.name.lower())


def _section_folders(folder: Path) -> dict[str, list[Path]]:
    """Two-digit subfolders of ``folder`` that hold ``.mrg`` files."""
    found = {}
    for sub in sorted(folder.iterdir()):
        if sub.is_dir() and _SECTION_DIR.fullmatch(sub.name):
            files = _mrg_files(sub)
            if files:
                found[sub.name] = files
    return found


def _flat_sections(folder: Path, files: list[Path]) -> dict[str, list[Path]]:
    """Group flat ``wsj_SSNN.mrg`` files by section; refuse a name without a section."""
    by_section: dict[str, list[Path]] = {}
    for path in files:
        match = _WSJ_FILE.fullmatch(path.name)
        if match is None:
            raise DataError(
                f"cannot tell the WSJ section of {path.name!r}: a flat folder needs files named "
                "wsj_SSNN.mrg (SS = section, e.g. wsj_2301.mrg is in section 23); rename it, "
                "move it out, or use section folders (SS/*.mrg)", path=str(folder))
        by_section.setdefault(match.group(1), []).append(path)
    return dict(sorted(by_section.items()))


def find_wsj_files(root: str | os.PathLike[str]) -> WsjFiles:
    """Locate the WSJ ``.mrg`` files under ``root`` (see the module docstring for layouts).

    Args:
        root: the Treebank-3 root, a folder of section folders, or a folder of ``.mrg`` files.

    Returns:
        The files grouped by section.

    Raises:
        DataError: ``root`` is missing or a file, no layout matches, or a flat folder holds a
            ``.mrg`` file whose name does not give its section.
    """
    root = Path(root)
    if not root.exists():
        raise DataError(f"Penn Treebank folder not found; {LAYOUT_HELP}", path=str(root))
    if not root.is_dir():
        raise DataError(f"is a file, not a folder; {LAYOUT_HELP}", path=str(root))
    for parent in SECTION_PARENTS:
        where = root / parent
        if where.is_dir():
            sections = _section_folders(where)
            if sections:
                logger.info("PTB: %d section folders under %s", len(sections), where)
                return WsjFiles(root=root, layout="sections", where=where, by_section=sections)
    files = _mrg_files(root)
    if not files:
        raise DataError(f"no .mrg files found (none there and no section folders below); "
                        f"{LAYOUT_HELP}", path=str(root))
    logger.info("PTB: %d .mrg files in the flat folder %s", len(files), root)
    return WsjFiles(root=root, layout="flat", where=root, by_section=_flat_sections(root, files))
