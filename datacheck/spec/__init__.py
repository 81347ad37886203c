"""The declaration layer shared by checks, smoke probes and the GX integration.

``Declared`` (id, checklist items, needs, validated keyword-only parameters, a docstring the
report reuses, a finding factory), ``Param`` and ``doc_sections``. It imports only the
report's data model and the errors: checks, probes and GX import it, never the reverse.
"""

from datacheck.spec.declared import Declared
from datacheck.spec.docs import REPORT_SECTIONS, doc_sections
from datacheck.spec.params import Param

__all__ = ["Declared", "Param", "REPORT_SECTIONS", "doc_sections"]
