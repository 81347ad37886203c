"""``image_quality``: very dark, very light, blurred and low-information images, odd aspect
ratios (item 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from datacheck.checks._image_props import PropTable
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.report.findings import MAX_SAMPLES, Evidence, Finding, Severity
from datacheck.spec.params import Param

# Floors of the robust spread (0..1 units, log10 units for sharpness): a property nearly
# constant over the dataset must not make a tiny difference look extreme.
_SPREAD_FLOOR = 0.02
# Images flat to this contrast have no detail to blur.
_MIN_CONTRAST = 0.02
# A dark (light) end counts as far outside the dataset's own images at this fraction of the
# typical image's level (distance to white): in a dataset of night skies only the darkest are
# flagged, and in photo tiles whose typical bright end is 0.69 only those below 0.21.
_RELATIVE_LEVEL = 0.3


@dataclass(frozen=True)
class _Kind:
    """One kind of poor image: the value it is judged on and the rule that flags it."""

    what: str                              # finding code suffix
    noun: str                              # "very dark"
    value: np.ndarray                      # per image
    flag: Callable[[np.ndarray], np.ndarray]
    worst_first: int                       # +1: high values most telling, -1: low ones
    caption: Callable[[float], str]
    explain: str                           # what the rule means, for the message
    hint: str


def robust_z(values: np.ndarray, ref: np.ndarray, floor: float = _SPREAD_FLOOR) -> Callable[[np.ndarray], np.ndarray]:
    """A robust z-score against ``ref`` (median, 1.4826 x MAD, at least ``floor``)."""
    ref = ref[np.isfinite(ref)]
    med = float(np.median(ref)) if len(ref) else 0.0
    spread = max(1.4826 * float(np.median(np.abs(ref - med))) if len(ref) else 0.0, floor)
    return lambda v: (np.asarray(v, np.float64) - med) / spread


@register
class ImageQualityCheck(Check):
    """Images too dark, too light, blurred or nearly blank to show their content.

    What it detects
    ---------------
    From properties the scan computes while decoding each image: very dark images (even the
    brightest 1% of pixels are dark) and very light, washed-out ones (even the darkest 1% are
    light), blurred images (little fine detail for their contrast: the spread of a 3x3
    Laplacian against the grey-level spread), low-information images (a grey-level histogram
    of almost one value, short of the exactly constant images ``input_integrity`` reports) and
    images with an odd aspect ratio. Each is judged against the dataset's own images as well
    as an absolute level: in a dataset of dark images (black backgrounds, night skies) a dark
    image is not a defect. Flagged images are listed, as info, unless they make up a large
    share of one class whose typical image is normal: then a warning.

    Why it matters
    --------------
    Under- and over-exposed, out-of-focus and blank images carry little of what the label
    names; a few are noise, but many in one class teach the network "dark means class X", and
    odd aspect ratios are squashed or cropped by the resize in the loader.
    """

    id = "image_quality"
    items = (1,)
    needs = ("images",)
    params = {
        "dark_level": Param(0.25, "Grey level (0..1 of the value range) under which an image's "
                                  "brightest 1% of pixels make it very dark.", kind=float, low=0.0, high=1.0),
        "light_level": Param(0.8, "Grey level over which an image's darkest 1% of pixels make it "
                                  "very light (washed out).", kind=float, low=0.0, high=1.0),
        "min_entropy": Param(0.5, "Entropy (bits, 64-bin grey-level histogram) under which an "
                                  "image is low-information.", kind=float, low=0.0, high=6.0),
        "z": Param(4.5, "Robust z-score (median and MAD of the dataset's images) below which an "
                        "image's sharpness is outside the dataset's own range (blurred).",
                   kind=float, low=1.0),
        "aspect_factor": Param(2.0, "How many times more elongated than the dataset's median aspect "
                                    "ratio an image must be to be odd.", kind=float, low=1.1),
        "class_share": Param(0.2, "Share of one class's images of one kind above which they are a "
                                  "warning rather than info.", kind=float, low=0.0, high=1.0),
        "min_class_count": Param(5, "Images of one kind in one class needed for a warning.",
                                 kind=int, low=1),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Flag each kind of poor image over every split's images together."""
        t = PropTable.of(ctx)
        if t is None or not t.n:
            return []
        for name in sorted(set(t.names[c] for c in np.unique(t.split_code))):
            # per-sample table: ``flag`` names the kind of each flagged image
            ctx.sample_column(name, "flag", np.zeros(0, object), rows=np.zeros(0, np.int64))
        taken = t.constant.copy()
        out = []
        for kind in self._kinds(t):
            hits = np.flatnonzero(kind.flag(kind.value) & ~taken)
            taken[hits] = True
            if len(hits):
                self._flag(ctx, t, kind.what, hits)
                out.append(self._finding(ctx, t, kind, hits))
        out += self._aspect(ctx, t)
        return out

    @staticmethod
    def _flag(ctx: CheckContext, t: PropTable, what: str, hits: np.ndarray) -> None:
        """Name ``what`` in the per-sample table's flag column of the flagged images."""
        for code in np.unique(t.split_code[hits]):
            rows = np.sort(t.local[hits[t.split_code[hits] == code]])
            ctx.sample_column(t.names[code], "flag", what, rows=rows)

    def _kinds(self, t: PropTable) -> list[_Kind]:
        cfg = self.config
        usable = ~t.constant
        entropy = t.col("entropy")
        typical_entropy = float(np.median(entropy[usable])) if usable.any() else 0.0
        dark, light = t.col("dark_end"), t.col("light_end")
        typical_dark = float(np.median(dark[usable])) if usable.any() else 1.0
        typical_light = float(np.median(light[usable])) if usable.any() else 0.0
        dark_max = min(cfg["dark_level"], _RELATIVE_LEVEL * typical_dark)
        light_min = max(cfg["light_level"], 1 - _RELATIVE_LEVEL * (1 - typical_light))
        contrast = t.col("contrast")
        with np.errstate(divide="ignore", invalid="ignore"):
            sharp = np.log10(t.col("laplacian_std") / np.maximum(contrast, 1e-3))
        sharp[contrast < _MIN_CONTRAST] = np.nan  # flat images have no detail to lose
        z_sharp = robust_z(sharp, sharp[usable & (contrast >= _MIN_CONTRAST)])
        return [
            _Kind("low_information", "low-information", entropy,
                  lambda v: (v <= cfg["min_entropy"]) & (v <= 0.25 * typical_entropy), -1,
                  lambda v: f"entropy {v:.2f} bits",
                  f"nearly every pixel has one grey level (histogram entropy at most "
                  f"{cfg['min_entropy']:g} bits; the typical image here has {typical_entropy:.1f})",
                  "Look at these images: a failed crop, an empty frame or a placeholder carries "
                  "no content; drop or regenerate them."),
            _Kind("dark_images", "very dark", dark,
                  lambda v: v <= dark_max, -1,
                  lambda v: f"brightest 1% ≤ {v:.0%}",
                  f"even their brightest 1% of pixels are at most {dark_max:.0%} of full "
                  f"scale (the typical image here reaches {typical_dark:.0%})",
                  "Look at these images: under-exposure, a wrong value range (e.g. 0..1 values "
                  "saved as 0..255) or a failed export makes images dark."),
            _Kind("light_images", "very light (washed out)", light,
                  lambda v: v >= light_min, 1,
                  lambda v: f"darkest 1% ≥ {v:.0%}",
                  f"even their darkest 1% of pixels are at least {light_min:.0%} of full "
                  f"scale (the typical image's are at {typical_light:.0%})",
                  "Look at these images: over-exposure or a wrong value range washes images out."),
            _Kind("blurred_images", "blurred", sharp,
                  lambda v: np.nan_to_num(z_sharp(v), nan=0.0) <= -cfg["z"], -1,
                  lambda v: f"sharpness {10 ** v:.2f}",
                  "their fine detail (spread of a 3x3 Laplacian against the grey-level spread) is "
                  "far below the dataset's own images",
                  "Look at these images: out-of-focus, motion-blurred or upscaled images show "
                  "less than their label needs; drop them or check the resizing step."),
        ]

    def _finding(self, ctx: CheckContext, t: PropTable, kind: _Kind, hits: np.ndarray) -> Finding:
        order = hits[np.argsort(-kind.worst_first * kind.value[hits], kind="stable")]
        shown = order[:MAX_SAMPLES]
        ids = t.ids(ctx, shown)
        classes = self._class_shares(ctx, t, kind, hits)
        loud = [c for c in classes if c[4]]
        n_all = t.n
        message = (f"{len(hits)} of {n_all} images {'is' if len(hits) == 1 else 'are'} {kind.noun}: "
                   f"{kind.explain}.")
        severity = Severity.INFO
        metrics = {"n_flagged": len(hits), "flagged_ratio": len(hits) / n_all}
        if loud:
            severity = Severity.WARNING
            name, nf, nc, share, _ = max(loud, key=lambda c: c[3])
            message += (f" They are {share:.0%} of the {name!r} images ({nf} of {nc}) while that "
                        "class's typical image is not: a network can learn the defect as the class.")
            metrics.update(worst_class=name, worst_class_share=share)
        evidence = [Evidence("images", f"{kind.noun.capitalize()} images",
                             {"samples": ids, "captions": [kind.caption(float(kind.value[i])) for i in shown]})]
        if classes:
            evidence.append(Evidence("table", f"{kind.noun.capitalize()} images per class", {
                "columns": ["class", "flagged", "images", "share"],
                "rows": [[c[0], c[1], c[2], round(c[3], 3)] for c in sorted(classes, key=lambda c: -c[3])
                         if c[1]][:MAX_SAMPLES]}))
        return self.finding(kind.what, severity, message, hint=kind.hint, metrics=metrics,
                            samples=ids, n_samples=len(hits), evidence=evidence)

    def _class_shares(self, ctx: CheckContext, t: PropTable, kind: _Kind,
                      hits: np.ndarray) -> list[tuple[str, int, int, float, bool]]:
        """Per labelled class: (name, flagged, images, share, loud). Loud: a large share of a
        class whose typical (median) image the rule does not flag."""
        if ctx.is_regression or not (t.y >= 0).any():
            return []
        k = len(ctx.classes)
        labelled = t.y >= 0
        sizes = np.bincount(t.y[labelled], minlength=k)
        flagged = np.bincount(t.y[hits][t.y[hits] >= 0], minlength=k)
        out = []
        for c in np.flatnonzero(flagged):
            share = flagged[c] / sizes[c]
            loud = flagged[c] >= max(self.config["min_class_count"], self.config["class_share"] * sizes[c])
            if loud:
                members = kind.value[(t.y == c) & ~t.constant]
                members = members[np.isfinite(members)]
                typical = np.array([np.median(members)]) if len(members) else np.array([np.nan])
                loud = not bool(kind.flag(typical)[0])
            out.append((str(ctx.classes[c]), int(flagged[c]), int(sizes[c]), float(share), loud))
        return out

    def _aspect(self, ctx: CheckContext, t: PropTable) -> list[Finding]:
        ok = (t.height > 0) & (t.width > 0)
        if not ok.any():
            return []
        ratio = np.where(ok, np.log(np.maximum(t.width, 1) / np.maximum(t.height, 1)), 0.0)
        med = float(np.median(ratio[ok]))
        off = np.abs(ratio - med)
        hits = np.flatnonzero(ok & (off >= np.log(self.config["aspect_factor"]) - 1e-9))
        if not len(hits):
            return []
        self._flag(ctx, t, "odd_aspect_ratio", hits)
        order = hits[np.argsort(-off[hits], kind="stable")]
        shown = order[:MAX_SAMPLES]
        ids = t.ids(ctx, shown)
        typical = float(np.exp(med))
        return [self.finding(
            "odd_aspect_ratio", Severity.INFO,
            f"{len(hits)} of {t.n} images {'has' if len(hits) == 1 else 'have'} an aspect ratio "
            f"(width / height) at least {self.config['aspect_factor']:g} times more elongated than "
            f"the dataset's typical {typical:.2f}; a resize to a fixed input size squashes them.",
            hint="Look at these images; pad or crop them to the common aspect ratio rather than "
                 "stretching them, or drop them if they are not what the label names.",
            metrics={"n_flagged": len(hits), "typical_aspect_ratio": typical},
            samples=ids, n_samples=len(hits),
            evidence=[Evidence("images", "Odd aspect ratios", {
                "samples": ids,
                "captions": [f"{int(t.width[i])}x{int(t.height[i])} (w x h)" for i in shown]})],
        )]
