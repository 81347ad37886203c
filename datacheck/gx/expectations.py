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
- ``expect_column_split_leaked_row_count_to_be_between`` (split column; ``split_leakage``).

Label metrics ignore missing labels. Use ``row_condition`` (``condition_parser="pandas"``)
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


__all__ = [
    "ExpectColumnClassImbalanceRatioToBeBetween",
    "ExpectColumnLongestRunToBeBetween",
    "ExpectColumnMinClassShareToBeBetween",
    "ExpectColumnSingleLabelBatchRatioToBeBetween",
    "ExpectColumnSplitLeakedRowCountToBeBetween",
]
