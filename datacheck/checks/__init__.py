"""Checks: one module per family, each registered once by id.

The built-ins are imported explicitly here, in the order they run and are listed.
"""

from datacheck.checks.base import REGISTRY, Check, get_check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param

# Built-in checks (import registers them).
from datacheck.checks import input_integrity  # noqa: E402,F401
from datacheck.checks import input_shape  # noqa: E402,F401
from datacheck.checks import image_quality  # noqa: E402,F401
from datacheck.checks import shortcuts  # noqa: E402,F401
from datacheck.checks import duplicates  # noqa: E402,F401
from datacheck.checks import class_balance  # noqa: E402,F401
from datacheck.checks import label_variants  # noqa: E402,F401
from datacheck.checks import learnability  # noqa: E402,F401
from datacheck.checks import label_noise  # noqa: E402,F401
from datacheck.checks import outliers  # noqa: E402,F401
from datacheck.checks import target_leakage  # noqa: E402,F401
from datacheck.checks import label_order  # noqa: E402,F401
from datacheck.checks import feature_scaling  # noqa: E402,F401
from datacheck.checks import pretrained_norm  # noqa: E402,F401
from datacheck.checks import preprocessing_leakage  # noqa: E402,F401
from datacheck.checks import split_leakage  # noqa: E402,F401
from datacheck.checks import split_consistency  # noqa: E402,F401

__all__ = ["REGISTRY", "Check", "CheckContext", "Param", "get_check", "register"]
