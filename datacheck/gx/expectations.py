"""datacheck's dataset metrics as Great Expectations 1.x custom expectations.

Each expectation is a ``ColumnAggregateExpectation`` backed by its own
``ColumnAggregateMetricProvider`` (pandas engine); defining the classes registers them with
GX, so after ``import datacheck.gx`` plain GX code can use them by class or by their
snake-case type in a suite file:

- ``expect_column_longest_run_to_be_between`` (label column; ``label_order``),
- ``expect_column_single_label_batch_ratio_to_be_between`` (label column, ``batch_size``;
  ``label_order``),
- ``expect_column_class_imbalance_ratio_to_be_between`` (label column; ``class_balance``),
- ``expect_column_min_class_share_to_be_between`` (label column; ``class_balance``),
- ``expect_column_split_leaked_row_count_to_be_between`` (split column; ``split_leakage``),
- ``expect_column_label_variant_count_to_be_between`` (label column, ``max_share``,
  ``max_names``; ``label_variants``),
- ``expect_column_target_order_correlation_to_be_between`` (regression target; ``label_order``),
- ``expect_column_narrow_target_batch_ratio_to_be_between`` (regression target, ``batch_size``;
  ``label_order``),
- ``expect_column_target_shift_ks_to_be_between`` (regression target, ``split_column``;
  ``class_balance``).

Label and target metrics ignore missing values. Use ``row_condition`` (``condition_parser="pandas"``)
to evaluate one split of a table that holds several.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnAggregateExpectation
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
    column_aggregate_value,
)
from great_expectations.expectations.metrics.metric_provider import metric_value

from datacheck.gx import metrics as m

MAX_INDEX = 50
Number = float | SuiteParameterDict | None


class ColumnLongestRun(ColumnAggregateMetricProvider):
    """Length of the longest block of consecutive equal values."""

    metric_name = "column.longest_run"
    filter_column_isnull = True

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return m.longest_run(m.label_codes(column))


class ColumnSingleLabelBatchRatio(ColumnAggregateMetricProvider):
    """Share of full batches of ``batch_size`` consecutive values holding one value."""

    metric_name = "column.single_label_batch_ratio"
    value_keys = ("batch_size",)
    filter_column_isnull = True

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column, batch_size, **kwargs):
        return m.single_label_batch_ratio(m.label_codes(column), int(batch_size))


class ColumnClassImbalanceRatio(ColumnAggregateMetricProvider):
    """Count of the most frequent value over that of the least frequent one."""

    metric_name = "column.class_imbalance_ratio"
    filter_column_isnull = True

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return m.imbalance_ratio(m.class_counts(m.label_codes(column)))


class ColumnMinClassShare(ColumnAggregateMetricProvider):
    """Count of the least frequent value over a fair share (non-null values over distinct
    values); 1.0 when every value is as frequent."""

    metric_name = "column.min_class_share"
    filter_column_isnull = True

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return m.min_class_share(m.class_counts(m.label_codes(column)))


class ColumnSplitLeakedRows(ColumnAggregateMetricProvider):
    """Rows whose content also occurs under another value of the (split) column.

    The value is ``{"count": int, "index": [first row index labels]}``; the content is
    ``columns`` (default: every other column) minus ``ignore_columns``.
    """

    metric_name = "column.split_leaked_rows"
    value_keys = ("columns", "ignore_columns")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,
                runtime_configuration):
        frame, _, accessor = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.COLUMN)
        split_col = accessor["column"]
        wanted = metric_value_kwargs.get("columns") or [c for c in frame.columns if c != split_col]
        ignored = set(metric_value_kwargs.get("ignore_columns") or ()) | {split_col}
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise KeyError(f"columns not in the table: {', '.join(map(str, missing))}")
        content = frame[[c for c in wanted if c not in ignored]]
        leaked = m.leaked_rows(content, frame[split_col])
        return {"count": int(leaked.sum()), "index": frame.index[leaked][:MAX_INDEX].tolist()}


class ColumnLabelVariants(ColumnAggregateMetricProvider):
    """The rarer spellings of class names spelled more than one way (``label_variants``)."""

    metric_name = "column.label_variants"
    value_keys = ("max_share", "max_names")
    filter_column_isnull = True

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column, max_share, max_names, **kwargs):
        return m.label_variant_spellings(column, float(max_share), int(max_names))


class ColumnTargetOrderCorrelation(ColumnAggregateMetricProvider):
    """Absolute Spearman correlation of a numeric target with row position (0.0 for fewer
    than three values or a constant target)."""

    metric_name = "column.target_order_correlation"

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        stats = m.target_order(column, batch_size=len(column))
        return abs(stats.rank_correlation) if stats else 0.0


class ColumnNarrowTargetBatchRatio(ColumnAggregateMetricProvider):
    """Share of full batches of ``batch_size`` consecutive values whose range is under a
    quarter of the column's 5-95% spread (0.0 for fewer than three values or a constant
    target)."""

    metric_name = "column.narrow_target_batch_ratio"
    value_keys = ("batch_size",)

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column, batch_size, **kwargs):
        stats = m.target_order(column, batch_size=int(batch_size))
        return stats.narrow_batch_ratio if stats else 0.0


class ColumnTargetShifts(ColumnAggregateMetricProvider):
    """KS statistic and p-value between the target of the reference split and that of each
    other split: ``{split: {"ks_statistic", "p_value", "n"}}``."""

    metric_name = "column.target_shifts"
    value_keys = ("split_column", "reference_split")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,
                runtime_configuration):
        frame, _, accessor = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.COLUMN)
        split_col = metric_value_kwargs["split_column"]
        if split_col not in frame.columns:
            raise KeyError(f"split column {split_col!r} is not in the table")
        return m.target_shifts(frame[accessor["column"]], frame[split_col],
                               metric_value_kwargs["reference_split"])


class _ValueBetween(ColumnAggregateExpectation, ABC):
    """A column aggregate metric between ``min_value`` and ``max_value`` (inclusive)."""

    min_value: Number = pydantic.Field(default=None, description="Smallest value allowed.")
    max_value: Number = pydantic.Field(default=None, description="Largest value allowed.")
    strict_min: bool = False
    strict_max: bool = False

    success_keys: ClassVar[tuple[str, ...]] = ("min_value", "max_value", "strict_min", "strict_max")
    library_metadata: ClassVar[dict] = {
        "maturity": "experimental",
        "tags": ["datacheck", "machine learning", "column aggregate expectation"],
        "contributors": ["datacheck"],
    }

    @classmethod
    @abstractmethod
    def _metric(cls) -> str:
        """Name of the metric compared with the bounds."""

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        return self._validate_metric_value_between(
            metric_name=self._metric(), metrics=metrics,
            runtime_configuration=runtime_configuration, execution_engine=execution_engine)


class ExpectColumnLongestRunToBeBetween(_ValueBetween):
    """Expect the longest block of consecutive equal labels to be between two lengths.

    A label column whose longest run is far above what a random order of the same labels
    gives is sorted or clustered by label (datacheck ``label_order``).
    """

    # Its value depends on row order (datacheck.gx.fit: not applicable to unordered data).
    row_order: ClassVar[bool] = True
    metric_dependencies = ("column.longest_run",)

    @classmethod
    def _metric(cls) -> str:
        return "column.longest_run"


class ExpectColumnSingleLabelBatchRatioToBeBetween(_ValueBetween):
    """Expect the share of single-label batches of ``batch_size`` consecutive rows to be
    between two values.

    A loader that does not shuffle feeds such batches; many of them mean labels sorted or
    in long blocks (datacheck ``label_order``).
    """

    batch_size: int = pydantic.Field(default=32, ge=1, description="Rows per batch.")
    # Its value depends on row order (datacheck.gx.fit: not applicable to unordered data).
    row_order: ClassVar[bool] = True
    metric_dependencies = ("column.single_label_batch_ratio",)
    success_keys = ("batch_size", *_ValueBetween.success_keys)

    @classmethod
    def _metric(cls) -> str:
        return "column.single_label_batch_ratio"


class ExpectColumnClassImbalanceRatioToBeBetween(_ValueBetween):
    """Expect the largest class count over the smallest to be between two values
    (datacheck ``class_balance``)."""

    metric_dependencies = ("column.class_imbalance_ratio",)

    @classmethod
    def _metric(cls) -> str:
        return "column.class_imbalance_ratio"


class ExpectColumnMinClassShareToBeBetween(_ValueBetween):
    """Expect the smallest class count over a fair share (rows over classes) to be between
    two values: 1.0 is perfectly balanced, 0.2 a class with a fifth of its fair share
    (datacheck ``class_balance``, which warns below ``min_share_ratio``)."""

    metric_dependencies = ("column.min_class_share",)

    @classmethod
    def _metric(cls) -> str:
        return "column.min_class_share"


class ExpectColumnSplitLeakedRowCountToBeBetween(ColumnAggregateExpectation):
    """Expect the number of rows whose content occurs in more than one split to be between
    two counts (usually at most 0).

    ``column`` is the split column; a row's content is ``columns`` (default: every other
    column) minus ``ignore_columns`` (put the label there, so that the same features with
    another label count as shared). Both members of a shared pair are counted (datacheck
    ``split_leakage``).
    """

    min_value: int | SuiteParameterDict | None = None
    max_value: int | SuiteParameterDict | None = 0
    columns: list[str] | None = None
    ignore_columns: list[str] = pydantic.Field(default_factory=list)

    metric_dependencies = ("column.split_leaked_rows",)
    success_keys = ("min_value", "max_value", "columns", "ignore_columns")
    library_metadata: ClassVar[dict] = _ValueBetween.library_metadata

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        value = metrics["column.split_leaked_rows"]
        count = value["count"]
        ok = (self.min_value is None or count >= self.min_value) and (
            self.max_value is None or count <= self.max_value)
        return {"success": bool(ok),
                "result": {"observed_value": count, "partial_unexpected_index_list": value["index"]}}


class ExpectColumnLabelVariantCountToBeBetween(ColumnAggregateExpectation):
    """Expect the number of labels that are another spelling of a class name to be between two
    counts (usually at most 0).

    A spelling differs from its class's main one in case, spacing or punctuation (``Dog`` /
    ``dog``, ``class_2 `` / ``class_2``) or by a slip of the hand when it is rare (``dgo`` /
    ``dog``): each becomes a class of its own, so a model learns one class as two (datacheck
    ``label_variants``, with the same ``max_share`` and ``max_names``).
    """

    min_value: int | SuiteParameterDict | None = None
    max_value: int | SuiteParameterDict | None = 0
    max_share: float = pydantic.Field(default=0.1, gt=0, le=1,
                                      description="A one-edit spelling counts when at most this share "
                                                  "of the other's count.")
    max_names: int = pydantic.Field(default=100, ge=1, description="Past this many names, none counts.")
    metric_dependencies = ("column.label_variants",)
    success_keys = ("min_value", "max_value", "max_share", "max_names")
    library_metadata: ClassVar[dict] = _ValueBetween.library_metadata

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        spellings = metrics["column.label_variants"]
        count = len(spellings)
        ok = (self.min_value is None or count >= self.min_value) and (
            self.max_value is None or count <= self.max_value)
        return {"success": bool(ok), "result": {"observed_value": count, "partial_unexpected_list": spellings}}


class ExpectColumnTargetOrderCorrelationToBeBetween(_ValueBetween):
    """Expect the absolute Spearman correlation of a numeric target with row position to be
    between two values (usually at most a bound).

    A random order gives about ``1 / sqrt(n - 1)``; a target sorted in the file gives 1.0,
    one drifting along the file (rows appended by date) less. A loader that does not
    shuffle then feeds the model one range of the target after another (datacheck
    ``label_order``).
    """

    # Its value depends on row order (datacheck.gx.fit: not applicable to unordered data).
    row_order: ClassVar[bool] = True
    metric_dependencies = ("column.target_order_correlation",)

    @classmethod
    def _metric(cls) -> str:
        return "column.target_order_correlation"


class ExpectColumnNarrowTargetBatchRatioToBeBetween(_ValueBetween):
    """Expect the share of *narrow* batches of ``batch_size`` consecutive rows (a range under
    a quarter of the column's 5-95% spread) to be between two values.

    32 random draws of a continuous target are almost never narrow; 32 neighbours in a file
    sorted by target almost always are (datacheck ``label_order``, the regression
    counterpart of the single-label batch ratio).
    """

    batch_size: int = pydantic.Field(default=32, ge=1, description="Rows per batch.")
    # Its value depends on row order (datacheck.gx.fit: not applicable to unordered data).
    row_order: ClassVar[bool] = True
    metric_dependencies = ("column.narrow_target_batch_ratio",)
    success_keys = ("batch_size", *_ValueBetween.success_keys)

    @classmethod
    def _metric(cls) -> str:
        return "column.narrow_target_batch_ratio"


class ExpectColumnTargetShiftKsToBeBetween(_ValueBetween):
    """Expect the largest Kolmogorov-Smirnov statistic between the target of
    ``reference_split`` and that of any other split to be between two values (usually at
    most a bound).

    ``column`` is the numeric target; ``split_column`` names each row's split. With
    ``max_p_value``, only differences beyond sampling noise count (KS p-value below it), as
    datacheck ``class_balance`` judges a target shift (KS at least ``max_target_shift`` and
    p below 3e-7); the observed value is 0.0 when no split differs beyond noise. The
    result's ``details`` name the split observed (``split``) and give every split's
    statistic, p-value and size (``splits``).
    """

    split_column: str = pydantic.Field(default="split", description="Column naming each row's split.")
    reference_split: str = pydantic.Field(default="train", description="Split the others are compared with.")
    max_p_value: float | None = pydantic.Field(
        default=None, gt=0, le=1, description="Count only splits whose KS p-value is below this.")
    metric_dependencies = ("column.target_shifts",)
    success_keys = ("split_column", "reference_split", "max_p_value", *_ValueBetween.success_keys)

    @classmethod
    def _metric(cls) -> str:
        return "column.target_shifts"

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        shifts = metrics["column.target_shifts"]
        counted = {name: s["ks_statistic"] for name, s in shifts.items()
                   if self.max_p_value is None or s["p_value"] < self.max_p_value}
        worst = max(counted, key=counted.get, default=None)
        observed = float(counted[worst]) if worst is not None else 0.0
        low_ok = self.min_value is None or (observed > self.min_value if self.strict_min
                                            else observed >= self.min_value)
        high_ok = self.max_value is None or (observed < self.max_value if self.strict_max
                                             else observed <= self.max_value)
        return {"success": bool(low_ok and high_ok),
                "result": {"observed_value": observed, "details": {"split": worst, "splits": shifts}}}


__all__ = [
    "ExpectColumnClassImbalanceRatioToBeBetween",
    "ExpectColumnLongestRunToBeBetween",
    "ExpectColumnMinClassShareToBeBetween",
    "ExpectColumnNarrowTargetBatchRatioToBeBetween",
    "ExpectColumnSingleLabelBatchRatioToBeBetween",
    "ExpectColumnSplitLeakedRowCountToBeBetween",
    "ExpectColumnTargetOrderCorrelationToBeBetween",
    "ExpectColumnTargetShiftKsToBeBetween",
]
