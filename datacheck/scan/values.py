"""Value counts of a split's low-cardinality string columns, bounded and mergeable."""

from __future__ import annotations

from dataclasses import dataclass

# Distinct values a string column may have and still be counted (per split); past it the
# column is dropped, so memory stays at most this many values per column.
MAX_DISTINCT = 300
# Rows whose distinct values are counted first: an id or free-text column is dropped on them.
_PROBE_ROWS = 8192


@dataclass(frozen=True)
class StringCounts:
    """Count of each value of the string columns of one split that have few distinct values.

    Parameters
    ----------
    counts : dict
        Column name -> {value: count} (nulls left out), or None for a column with more than
        ``MAX_DISTINCT`` distinct values.
    """

    counts: dict[str, dict[str, int] | None]

    @classmethod
    def of(cls, table) -> "StringCounts":
        """Count the values of the string columns of a pyarrow Table (one hash pass each).

        Parameters
        ----------
        table : pyarrow.Table

        Returns
        -------
        StringCounts
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        out: dict[str, dict[str, int] | None] = {}
        for name, col in zip(table.column_names, table.columns):
            t = col.type
            if pa.types.is_dictionary(t) and _is_text(t.value_type):
                col, t = col.cast(t.value_type), t.value_type
            if not _is_text(t):
                continue
            if pc.count_distinct(col.slice(0, _PROBE_ROWS)).as_py() > MAX_DISTINCT:
                out[name] = None  # an id or free text: its first rows already tell
                continue
            found = pc.value_counts(col)
            if len(found) - found.field("values").null_count > MAX_DISTINCT:
                out[name] = None
                continue
            values, counts = found.field("values").to_pylist(), found.field("counts").to_pylist()
            out[name] = {v: c for v, c in zip(values, counts) if v is not None}
        return cls(out)

    @classmethod
    def merge(cls, parts: "list[StringCounts]") -> "StringCounts":
        """Counts of consecutive row ranges of one split added up (exact; a column over the
        bound in any part, or in the sum, is None)."""
        out: dict[str, dict[str, int] | None] = {}
        for part in parts:
            for name, values in part.counts.items():
                if name in out and out[name] is None:
                    continue
                if values is None:
                    out[name] = None
                    continue
                into = out.setdefault(name, {})
                for v, c in values.items():
                    into[v] = into.get(v, 0) + c
                if len(into) > MAX_DISTINCT:
                    out[name] = None
        return cls(out)

    @property
    def columns(self) -> dict[str, dict[str, int]]:
        """The counted columns (those within the bound)."""
        return {k: v for k, v in self.counts.items() if v is not None}


def _is_text(t) -> bool:
    import pyarrow as pa

    return pa.types.is_string(t) or pa.types.is_large_string(t) or (
        hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t))
