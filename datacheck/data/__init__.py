"""Loading: turn a path or Python objects into a ``Dataset`` (DESIGN.md section 4)."""

from datacheck.data.dataset import Dataset, Split, normalize_split_name
from datacheck.data.layouts import load
from datacheck.data.objects import from_objects

__all__ = ["Dataset", "Split", "from_objects", "load", "normalize_split_name"]
