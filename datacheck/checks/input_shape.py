"""``input_shape``: samples whose size, channels or layout differ from the rest (items 1, 25)."""

from __future__ import annotations

import numpy as np

from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import MAX_SAMPLES, Evidence, Finding, Severity

# Modes whose values are not 8-bit: next to 8-bit images they reach the network on another scale.
_WIDE_MODES = ("I", "F")


@register
class InputShapeCheck(Check):
    """Inputs whose shape is not what the network's first layer expects.

    What it detects
    ---------------
    For image files: odd image sizes in an otherwise uniform set, images whose height and
    width are the majority's swapped, grayscale images inside an RGB set (or the reverse),
    and mixed modes (palette, alpha, 16-bit); a set of widely varying sizes is noted as
    needing a resize. For arrays: layouts that cannot be told from the shape, and arrays of
    an unexpected rank. Splits stored in different layouts or sample shapes are
    ``split_consistency``'s findings.

    Why it matters
    --------------
    Odd sizes and channel counts either crash batching or get silently stretched, a swapped
    height and width is the classic transposition bug, and an array whose channel axis is
    ambiguous or missing feeds pixels as channels without any error.
    """

    id = "input_shape"
    items = (1, 25)
    params = {
        "uniform_ratio": Param(
            0.9, "Share of images the most common size must cover for the other sizes to be "
                 "flagged as odd (warning) rather than the set noted as mixed (info).",
            kind=float, low=0.5, high=1.0),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Check image files across all splits, then array shapes and layouts."""
        files = _ImageTable.from_context(ctx)
        findings = []
        if files is not None:
            findings += self._sizes(ctx, files)
            findings += self._channels(ctx, files)
        findings += self._arrays(ctx)
        return findings

    # -- image files -----------------------------------------------------------------------

    def _sizes(self, ctx: CheckContext, t: "_ImageTable") -> list[Finding]:
        key = t.height.astype(np.int64) << 32 | t.width.astype(np.int64)
        sizes, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        if len(sizes) < 2:
            return []
        top = int(np.argmax(counts))
        mh, mw = int(sizes[top] >> 32), int(sizes[top] & 0xFFFFFFFF)
        share = counts[top] / len(key)
        table = _size_table(sizes, counts)
        if share < self.config["uniform_ratio"]:
            return [self.finding(
                "mixed_sizes", Severity.INFO,
                f"Images come in {len(sizes)} sizes (heights {int(t.height.min())} to "
                f"{int(t.height.max())}, widths {int(t.width.min())} to {int(t.width.max())}; "
                f"the most common, {mh}x{mw}, covers {share:.0%}); they will need resizing to "
                "one size.",
                hint="Resize or crop every image to the model's input size in the loader.",
                metrics={"n_sizes": len(sizes), "majority_ratio": share,
                         "majority_height": mh, "majority_width": mw},
                evidence=[table],
            )]
        out = []
        majority = {"majority_height": mh, "majority_width": mw}
        is_swapped = (t.height == mw) & (t.width == mh) & (mh != mw)
        swapped = np.flatnonzero(is_swapped)
        if len(swapped):
            out.append(self.finding(
                "swapped_size", Severity.WARNING,
                f"{len(swapped)} image{'s are' if len(swapped) > 1 else ' is'} {mw}x{mh} (height "
                f"x width), the majority's {mh}x{mw} swapped: rotated or transposed.",
                hint="Check how these images were written (a transposed array or an ignored "
                     "EXIF rotation) and fix their orientation.",
                metrics={"n_swapped": len(swapped), **majority},
                samples=t.ids(ctx, swapped[:MAX_SAMPLES]), n_samples=len(swapped),
            ))
        odd = np.flatnonzero((key != sizes[top]) & ~is_swapped)
        if len(odd):
            # Rarest sizes first: a one-off size is the most telling.
            odd = odd[np.argsort(counts[inverse[odd]], kind="stable")]
            out.append(self.finding(
                "odd_size", Severity.WARNING,
                f"{len(odd)} of {len(key)} images {'differs' if len(odd) == 1 else 'differ'} "
                f"from the {mh}x{mw} (height x width) "
                "of all the others; a batch mixing them fails to stack or is silently stretched.",
                hint="Look at these images; drop them or resize every image to one size in the loader.",
                metrics={"n_odd": len(odd), "n_sizes": len(sizes), **majority},
                samples=t.ids(ctx, odd[:MAX_SAMPLES]), n_samples=len(odd),
                evidence=[table],
            ))
        return out

    def _channels(self, ctx: CheckContext, t: "_ImageTable") -> list[Finding]:
        values, counts = np.unique(t.channels, return_counts=True)
        top = values[int(np.argmax(counts))]
        odd = np.flatnonzero(t.channels != top)
        out = []
        if len(odd):
            out.append(self.finding(
                "mixed_channels", Severity.WARNING,
                f"{len(odd)} of {len(t.channels)} images {'has' if len(odd) == 1 else 'have'} "
                f"{_channel_name(int(t.channels[odd[0]]))} while the others are "
                f"{_channel_name(int(top))}; the network's first layer expects one channel count.",
                hint="Convert every image to one mode in the loader, e.g. PIL "
                     f"`.convert({'RGB' if top == 3 else 'L'!r})`.",
                metrics={"n_odd": len(odd), "majority_channels": int(top)},
                samples=t.ids(ctx, odd[:MAX_SAMPLES]), n_samples=len(odd),
                evidence=[_mode_table(t.modes)],
            ))
        out += self._modes(ctx, t, np.flatnonzero(t.channels == top))
        return out

    def _modes(self, ctx: CheckContext, t: "_ImageTable", same_channels: np.ndarray) -> list[Finding]:
        """Modes differing within one channel count (palette, alpha, 16-bit, float)."""
        modes = t.modes[same_channels]
        values, codes, counts = np.unique(modes, return_inverse=True, return_counts=True)
        if len(values) < 2:
            return []
        top = values[int(np.argmax(counts))]
        odd = same_channels[codes != int(np.argmax(counts))]
        odd_modes = sorted(set(values) - {top})
        # A 16-bit or float image among 8-bit ones reaches the network on another scale.
        wide = any(m.startswith(_WIDE_MODES) != top.startswith(_WIDE_MODES) for m in odd_modes)
        return [self.finding(
            "mixed_modes", Severity.WARNING if wide else Severity.INFO,
            f"{len(odd)} image{'s are' if len(odd) > 1 else ' is'} stored as "
            f"{', '.join(odd_modes)} while most are {top}"
            + ("; their pixel values are on another scale." if wide
               else "; a loader that does not convert them gets other pixel values."),
            hint=f"Convert every image to {top} in the loader (PIL `.convert({top!r})`).",
            metrics={"n_odd": len(odd), "n_modes": len(values)},
            samples=t.ids(ctx, odd[:MAX_SAMPLES]), n_samples=len(odd),
            evidence=[_mode_table(t.modes)],
        )]

    # -- arrays ----------------------------------------------------------------------------

    def _arrays(self, ctx: CheckContext) -> list[Finding]:
        # Splits that disagree in layout or sample shape are split_consistency's finding.
        out = []
        for scan in ctx.splits():
            if scan.array is not None:
                out += self._rank(scan.name, scan.array)
        return out

    def _rank(self, name: str, info) -> list[Finding]:
        shape = info.shape
        if info.layout == "ambiguous":
            return [self.finding(
                "ambiguous_layout", Severity.INFO,
                f"The {name} array has shape {shape}, whose channel axis cannot be told from "
                "the shape; image statistics were not computed for it.",
                hint="Make sure the model reads the axis you mean as channels (NHWC or NCHW).",
                split=name, metrics={"ndim": len(shape)},
            )]
        if info.layout != "unexpected":
            return []
        if len(shape) == 1:
            return [self.finding(
                "unexpected_rank", Severity.ERROR,
                f"The {name} array is 1-D {shape}: one number per sample, not a feature row "
                "or an image.",
                hint="Reshape a single feature with `x.reshape(-1, 1)`, or check that labels "
                     "were not passed as inputs.",
                split=name, metrics={"ndim": 1},
            )]
        inner = [d for d in shape[1:] if d != 1]
        if len(inner) < len(shape) - 1 and len(inner) <= 3:
            # Extra length-1 axes around an image or feature row: a stray expand_dims/unsqueeze.
            return [self.finding(
                "unexpected_rank", Severity.ERROR,
                f"The {name} array is {len(shape)}-D {shape} with length-1 axes a model does "
                "not expect; it looks like an extra unsqueeze.",
                hint="Remove the extra axes, e.g. with `x.squeeze()` on the axes of length 1.",
                split=name, metrics={"ndim": len(shape)},
            )]
        return [self.finding(
            "unexpected_rank", Severity.INFO,
            f"The {name} array is {len(shape)}-D {shape}, neither images nor feature rows; "
            "only whole-sample checks (duplicates, NaN) ran on it.",
            hint="If these are videos or volumes, check their axis order against the model.",
            split=name, metrics={"ndim": len(shape)},
        )]


class _ImageTable:
    """Size, channels and mode of every readable image file, all splits together."""

    def __init__(self, names, split_code, local, height, width, channels, modes):
        self.names, self.split_code, self.local = names, split_code, local
        self.height, self.width, self.channels, self.modes = height, width, channels, modes

    @classmethod
    def from_context(cls, ctx: CheckContext) -> "_ImageTable | None":
        parts = [(s.name, s.images) for s in ctx.splits()
                 if s.images is not None and ctx.source(s.name).has_files]
        if not parts:
            return None
        names = [name for name, _ in parts]
        ok = [np.flatnonzero(im.ok) for _, im in parts]
        if not sum(len(k) for k in ok):
            return None
        return cls(
            names,
            np.concatenate([np.full(len(k), j) for j, k in enumerate(ok)]),
            np.concatenate(ok),
            np.concatenate([im.height[k] for (_, im), k in zip(parts, ok)]),
            np.concatenate([im.width[k] for (_, im), k in zip(parts, ok)]),
            np.concatenate([im.channels[k] for (_, im), k in zip(parts, ok)]),
            np.concatenate([np.asarray(im.mode, dtype=object)[k].astype(str) for (_, im), k in zip(parts, ok)]),
        )

    def ids(self, ctx: CheckContext, rows: np.ndarray) -> list[str]:
        """Sample ids of some rows of the table."""
        return [ctx.sample_ids(self.names[self.split_code[r]], [int(self.local[r])])[0] for r in rows]


def _size_table(sizes: np.ndarray, counts: np.ndarray) -> Evidence:
    order = np.argsort(-counts, kind="stable")[:MAX_SAMPLES]
    rows = [[int(sizes[j] >> 32), int(sizes[j] & 0xFFFFFFFF), int(counts[j])] for j in order]
    return Evidence("table", "Image sizes", {"columns": ["height", "width", "n_images"], "rows": rows})


def _mode_table(modes: np.ndarray) -> Evidence:
    values, counts = np.unique(modes, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return Evidence("table", "Image modes", {"columns": ["mode", "n_images"],
                                             "rows": [[str(values[j]), int(counts[j])] for j in order]})


def _channel_name(channels: int) -> str:
    return {1: "one channel (grayscale)", 3: "three channels (RGB)"}.get(channels, f"{channels} channels")
