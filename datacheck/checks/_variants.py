"""Spelling variants among names with counts: ``"Dog"`` beside ``"dog"``, ``"dgo"`` beside ``"dog"``.

A pure function over ``name -> counts per split``, used by ``label_variants`` for class names
and string feature values. Two names are spellings of one name when

- their *normalized* forms are equal: case folded, whitespace and separating punctuation
  (``_ - . , ; : / \\ ' "``, brackets, ``!`` ``?``) removed; symbols that carry meaning in a
  name (``+ # & % @ * $ = < > ~ ^ |``: ``C++``, ``C#``, ``A+``) are kept. ``kind`` is ``case``
  when they differ only in case and whitespace, ``punctuation`` otherwise. Whatever the
  counts: ``"Dog"`` 500 and ``"dog"`` 480 are one class spelled two ways;
- or, ``kind`` ``typo``, one edit apart after normalization (a character replaced, inserted,
  deleted, or two neighbours swapped) when the edit involves no digit (``class_1`` /
  ``class_2``, ``0`` .. ``9`` differ on purpose), the names have 3 and 4 characters at least
  (3 for swapped neighbours: ``dgo``), and the rarer is *rare*: at most ``max_share`` of the
  other's count. Names of similar counts one letter apart (``cat`` / ``car`` / ``bat``) are
  different names.

A spelling is *strong* evidence (a warning) only when the list of names is short
(``max_names``; ImageNet's 1000 class names hold 20 real pairs one letter apart, and both
``Cardigan`` the dog and ``cardigan`` the sweater) and the names are long enough not to be a
deliberate distinction: 2 characters for case (``a`` / ``A`` are two EMNIST classes), 3 for
punctuation (``A-`` / ``A`` are two grades); a typo must also be a slip of the hand (swapped
neighbours, a neighbouring key, a letter dropped or doubled past the first, an ``s`` added at
the end), not any edit (``crane`` / ``crate``, ``nail`` / ``snail``, ``sea`` / ``seal``).
Names that read as numbers are spellings only of the same value (``01`` / ``1``), never strong.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping, Sequence

# Punctuation kept in the normalized form: it tells names apart (C++, C#, A+, AT&T, 100%).
_KEPT = set("+#&%@*$=<>~^|")
# Deletion buckets larger than this are not paired out (many short names share a deletion).
_MAX_BUCKET = 64


@dataclass(frozen=True)
class Variant:
    """One spelling of a group and how it differs from the group's main spelling.

    Parameters
    ----------
    name : str
        The spelling, as stored.
    counts : tuple of int
        Its count per split (the order of the input).
    kind : str
        ``main`` for the group's most common spelling; else ``case``, ``punctuation``,
        ``typo`` or ``number``.
    strong : bool
        Whether the evidence is enough for a warning (see the module docstring).
    """

    name: str
    counts: tuple[int, ...]
    kind: str
    strong: bool

    @property
    def total(self) -> int:
        """Count over every split."""
        return int(sum(self.counts))


@dataclass(frozen=True)
class VariantGroup:
    """Spellings that look like one name: the most common first.

    Parameters
    ----------
    members : tuple of Variant
        The main spelling first (``kind`` ``main``), then the others, most common first.
    """

    members: tuple[Variant, ...]

    @property
    def main(self) -> Variant:
        """The most common spelling."""
        return self.members[0]

    @property
    def others(self) -> tuple[Variant, ...]:
        """The spellings that are not the main one."""
        return self.members[1:]

    @property
    def strong(self) -> bool:
        """Whether any spelling is a strong variant of the main one."""
        return any(v.strong for v in self.others)


def normalize(name: str) -> str:
    """Case folded, whitespace and separating punctuation removed (``"Class_1 "`` -> ``"class1"``).

    Falls back to the case-folded name with whitespace collapsed when nothing would be left
    (``"-"``, ``"?"``), so punctuation-only names stay apart.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    out = "".join(c for c in folded
                  if not (c.isspace() or (unicodedata.category(c).startswith("P") and c not in _KEPT)))
    return out or " ".join(folded.split())


def _spacing_case(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _number(name: str) -> float | None:
    return float(name) if _NUMBER.match(name) else None


def one_edit(a: str, b: str) -> tuple[str, str, int] | None:
    """The single edit turning ``a`` into ``b``, or None when they are not one edit apart.

    Returns
    -------
    (str, str, int) or None
        The kind (``replace``, ``insert``, ``delete``, ``swap``), the characters involved
        (``a``'s then ``b``'s for a replacement; the one inserted or deleted), and the position
        in the longer name.
    """
    if a == b:
        return None
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            i = diff[0]
            return "replace", a[i] + b[i], i
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return "swap", a[diff[0]] + a[diff[1]], diff[0]
        return None
    if abs(len(a) - len(b)) != 1:
        return None
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    i = next((k for k in range(len(shorter)) if longer[k] != shorter[k]), len(shorter))
    if longer[i + 1:] != shorter[i:]:
        return None
    return ("delete" if longer is a else "insert"), longer[i], i


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# Letter -> the letters around it on a QWERTY keyboard (same row, and the rows above and below).
_NEAR = {c: {_ROWS[r2][k2] for r2 in range(max(r - 1, 0), min(r + 2, 3))
             for k2 in range(len(_ROWS[r2])) if abs((k2 + 0.5 * r2) - (k + 0.5 * r)) <= 1} - {c}
         for r, row in enumerate(_ROWS) for k, c in enumerate(row)}


def typo(main: str, rare: str) -> str | None:
    """Whether a rare normalized name reads as a typo of a common one, one edit away.

    Returns
    -------
    str or None
        None when not one edit apart, the edit involves a digit, or the names are too short
        (3 and 4 characters, or 3 for swapped neighbours); ``slip`` when the edit is one a
        hand makes (neighbours swapped, a neighbouring key, a letter dropped or doubled past
        the first, an ``s`` added at the end); ``edit`` otherwise, as between real words
        (``crane`` / ``crate``, ``nail`` / ``snail``, ``sea`` / ``seal``).
    """
    edit = one_edit(main, rare)
    if edit is None or any(c.isdigit() for c in edit[1]):
        return None
    kind, chars, at = edit
    short, long_ = sorted((len(main), len(rare)))
    if short < 3 or (kind != "swap" and long_ < 4):
        return None
    if kind == "swap":
        return "slip"
    if kind == "replace":
        return "slip" if chars[1] in _NEAR.get(chars[0], ()) else "edit"
    longer = main if kind == "delete" else rare
    doubled = (at > 0 and longer[at - 1] == chars) or (at + 1 < len(longer) and longer[at + 1] == chars)
    if doubled:
        return "slip"
    if kind == "insert" and at == len(main):  # a letter added at the end: a plural, or another word
        return "slip" if chars == "s" else "edit"
    return "slip" if at > 0 else "edit"


def _candidate_pairs(keys: list[str]) -> set[tuple[int, int]]:
    """Pairs of keys that share a one-deletion form (every pair one edit apart is among them)."""
    buckets: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if len(key) < 3:
            continue
        forms = {key} | {key[:j] + key[j + 1:] for j in range(len(key))}
        for form in forms:
            buckets[form].append(i)
    pairs = set()
    for members in buckets.values():
        if 1 < len(members) <= _MAX_BUCKET:
            pairs.update((a, b) for ai, a in enumerate(members) for b in members[ai + 1:])
    return pairs


def find_variants(counts: Mapping[str, Sequence[int]], *, max_share: float = 0.1,
                  max_names: int = 100) -> list[VariantGroup]:
    """Groups of names that look like spellings of one name.

    Parameters
    ----------
    counts : mapping of str to sequence of int
        Each name's count per split (all of the same length); names with no count are left out.
    max_share : float
        A name one edit from another is a typo of it only when its count is at most this
        fraction of the other's; a rarer spelling is *rare*.
    max_names : int
        Past this many distinct (normalized) names, real names one letter apart are common
        (ImageNet's 1000 class names hold 20 such pairs, and both ``Cardigan`` the dog and
        ``cardigan`` the sweater): no spelling is then strong.

    Returns
    -------
    list of VariantGroup
        Largest total count first; each with its main spelling first.
    """
    names = [n for n, c in counts.items() if sum(c) > 0]
    total = {n: int(sum(counts[n])) for n in names}
    # 1. equal normalized forms (numbers: equal values)
    by_key: dict[object, list[str]] = defaultdict(list)
    for n in names:
        value = _number(n)
        by_key[("number", value) if value is not None else normalize(n)].append(n)
    keys = list(by_key)
    key_total = [sum(total[n] for n in by_key[k]) for k in keys]
    # 2. rare one-edit typos between normalized forms (text only)
    parent = list(range(len(keys)))
    text = [k if isinstance(k, str) else "" for k in keys]
    typo_of: dict[int, tuple[int, str]] = {}  # rare key -> (common key, slip or edit)
    for a, b in sorted(_candidate_pairs(text)):
        rare, common = (a, b) if key_total[a] < key_total[b] else (b, a)
        if key_total[rare] > max_share * key_total[common]:
            continue
        how = typo(text[common], text[rare])
        if how is None:
            continue
        if rare not in typo_of or key_total[common] > key_total[typo_of[rare][0]]:
            typo_of[rare] = common, how
    for rare, (common, _) in typo_of.items():
        parent[_root(parent, rare)] = _root(parent, common)
    merged: dict[int, list[int]] = defaultdict(list)
    for i in range(len(keys)):
        merged[_root(parent, i)].append(i)
    groups = []
    for members in merged.values():
        spellings = [n for i in members for n in by_key[keys[i]]]
        if len(spellings) < 2:
            continue
        slips = {n for i in members if typo_of.get(i, ("", ""))[1] == "slip" for n in by_key[keys[i]]}
        key_of = {n: keys[i] for i in members for n in by_key[keys[i]]}
        groups.append(_group(spellings, counts, total, key_of, slips, len(keys) <= max_names))
    return sorted(groups, key=lambda g: (-sum(v.total for v in g.members), g.main.name))


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _group(spellings: list[str], counts: Mapping[str, Sequence[int]], total: dict[str, int],
           key_of: dict[str, object], slips: set[str], few_names: bool) -> VariantGroup:
    spellings.sort(key=lambda n: (-total[n], n))
    main = spellings[0]
    out = [Variant(main, tuple(int(c) for c in counts[main]), "main", False)]
    for n in spellings[1:]:
        kind, strong = _relation(n, main, key_of[n], key_of[main])
        strong = strong and few_names and (kind != "typo" or n in slips)
        out.append(Variant(n, tuple(int(c) for c in counts[n]), kind, strong))
    return VariantGroup(tuple(out))


def _relation(name: str, main: str, key: object, main_key: object) -> tuple[str, bool]:
    """How ``name`` differs from the main spelling, and whether the names are long enough for
    that to be strong evidence."""
    if not isinstance(key, str):
        return "number", False
    if key != main_key:
        return "typo", True  # linked only when rare and a typo-like edit
    if _spacing_case(name) == _spacing_case(main):
        return "case", len(key) >= 2
    return "punctuation", len(key) >= 3
