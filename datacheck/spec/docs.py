"""Doc sections of a check's or probe's numpydoc docstring, which reports show."""

from __future__ import annotations

# The sections a report shows for each check: its one-line summary beside the check, and
# "Why it matters" beside its findings.
REPORT_SECTIONS = ("summary", "why it matters")


def doc_sections(doc: str) -> dict[str, str]:
    """Split a numpydoc docstring into ``{"summary": ..., "<section, lower case>": text}``."""
    lines = doc.splitlines()
    sections: dict[str, list[str]] = {"summary": []}
    current, i = "summary", 0
    while i < len(lines):
        underline = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if lines[i].strip() and len(underline) >= 3 and set(underline) == {"-"}:
            current = lines[i].strip().lower()
            sections[current] = []
            i += 2
            continue
        sections[current].append(lines[i])
        i += 1
    return {k: "\n".join(v).strip() for k, v in sections.items()}
