"""``pretrained_norm``: inputs encoded otherwise than the pretrained model expects (item 14)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.norms import (CANDIDATES, ChannelStats, Detected, Encoding, ExpectedInput, classify,
                             expected_norm)
from datacheck.report.findings import MAX_SAMPLES, Evidence, Finding, Severity
from datacheck.scan.result import SplitScan

# A mismatch is an error when the model sees inputs scaled by more than this factor...
_ERROR_SCALE = 3.0
# ...or an average pixel moved by more than this share of the pixel range; below the lower
# bounds two encodings are the same for the network.
_ERROR_SHIFT = 0.25
_SAME_SCALE, _SAME_SHIFT = 1.05, 0.02
# Domain: the data's pixel mean in units of the pretraining data's std, and the std ratio.
_DOMAIN_INFO, _DOMAIN_WARN = (0.75, 1.8), (2.0, 3.0)
# A model input side this many times smaller (or, for arrays, larger) than the model's is noted.
_SIZE_FACTOR = 2.0
# Gap between the first and last channel means (pixel units) that, in the order opposite to the
# pretraining data's, suggests swapped channels; ImageNet's R - B is 0.08.
_ORDER_GAP = 0.05


@dataclass
class _View:
    """One split's per-channel statistics and what its encoding looks like."""

    name: str
    files: bool
    index: np.ndarray        # readable samples
    mean: np.ndarray         # (n, c) per sample
    std: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    stats: ChannelStats
    height: float
    width: float
    n_channels_stored: int
    layout: str
    dtype: str
    detected: Detected | None = None

    @property
    def eight_bit(self) -> bool:
        return self.files and float(self.stats.hi.max()) <= 255

    def replicated(self) -> bool:
        """Whether three channels carry one grayscale image (each an affine copy of the first)."""
        if self.stats.n_channels != 3 or len(self.index) < 5:
            return False
        valid = self.std[:, 0] > 0
        if valid.sum() < 5:
            return False
        for c in (1, 2):
            k = np.median(self.std[valid, c] / self.std[valid, 0])
            b = np.median(self.mean[:, c] - k * self.mean[:, 0])
            resid = max(np.nanmax(np.abs(self.mean[:, c] - k * self.mean[:, 0] - b)),
                        np.nanmax(np.abs(self.std[:, c] - k * self.std[:, 0])),
                        np.nanmax(np.abs(self.lo[:, c] - k * self.lo[:, 0] - b)),
                        np.nanmax(np.abs(self.hi[:, c] - k * self.hi[:, 0] - b)))
            if not resid <= 1e-3 * max(float(self.stats.hi[c] - self.stats.lo[c]), 1e-12):
                return False
        return True


@register
class PretrainedNormCheck(Check):
    """Inputs whose value range, normalization or channel order is not what the model expects.

    What it detects
    ---------------
    Recognises each split's encoding from its per-channel range, mean and std: uint8 or float
    [0, 255], [0, 1], [-1, 1], standardized per channel, a known normalization preset (ImageNet,
    CLIP, Inception-style 0.5/0.5, Caffe BGR mean subtraction), a preset applied twice or to
    [0, 255] values. Without a model (``--model``, ``--norm``, ``--mean/--std``) it only
    describes the encoding. With one it flags un-normalized input for a normalizing model and
    double normalization (errors), another preset (a warning or an error by how far the
    model's inputs move), channels in BGR order, channel-last arrays for a torchvision model,
    grayscale images replicated to three channels, an input size far from the model's, and —
    for image files, whose normalization happens later in the transforms — a pixel domain far
    from the one the model was pretrained on.

    Why it matters
    --------------
    A pretrained network only works on inputs encoded like its training data: fed [0, 255]
    instead of ImageNet-normalized values, or BGR instead of RGB, it fine-tunes badly and
    silently, since nothing crashes. Normalizing twice pushes every input about two standard
    deviations off.
    """

    id = "pretrained_norm"
    items = (14,)
    needs = ("images",)
    params = {}

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Describe each split's encoding, then compare it with the model's expected input."""
        opts = {k: ctx.options.get(k) for k in ("model", "norm", "mean", "std")}
        expected = expected_norm(**opts)
        views = [v for v in (_view(ctx, s) for s in ctx.splits()) if v is not None]
        for v in views:
            if not v.files:
                v.detected = classify(v.stats, expected.encoding if expected else None)
        findings = self._describe(ctx, views, expected)
        if expected is not None:
            shapes = []
            for v in views:
                shapes += self._layout(ctx, v, expected) + self._size(ctx, v, expected)
                shapes += self._gray(ctx, v, expected)
                findings += self._judge(ctx, v, expected)
            findings += _merge(shapes)
        return findings

    # -- always: describe -----------------------------------------------------------

    def _describe(self, ctx: CheckContext, views: list[_View],
                  exp: ExpectedInput | None) -> list[Finding]:
        texts = {v.name: _encoding_text(v) for v in views}
        if len(set(texts.values())) == 1 and views:
            groups = [(None, views)]
        else:
            groups = [(v.name, [v]) for v in views]
        hint = (f"{_who(exp)} expects {exp.encoding.label}." if exp else
                "Give --model NAME (or --norm, --mean/--std) to check this against what the model expects.")
        out = []
        for split, group in groups:
            v = group[0]
            names = ", ".join(g.name for g in group)
            encoding = "image files" if v.files else v.detected.name
            out.append(self.finding(
                "encoding", Severity.INFO, f"{names}: {texts[v.name]}.", split=split, hint=hint,
                metrics={"encoding": encoding, **_range_metrics(v)},
                n_samples=sum(len(g.index) for g in group),
                evidence=[_table(g, None) for g in group]))
        return out

    # -- with a model: judge -----------------------------------------------------------------

    def _judge(self, ctx: CheckContext, v: _View, exp: ExpectedInput) -> list[Finding]:
        # The domain is the data's, not the split's: judged on the training split only.
        first = v.name == ctx.splits()[0].name
        if v.files:
            return self._files_order(ctx, v, exp) + (self._domain(ctx, v, exp, None) if first else [])
        det, E = v.detected, exp.encoding
        if det.encoding is not None and not _equivalent(det.encoding, E, v):
            return [self._mismatch(ctx, v, exp, det.encoding)]
        if det.encoding is not None:
            domain = self._domain(ctx, v, exp, det.encoding) if first else []
            return self._content_order(ctx, v, exp, det.encoding) + domain
        if det.name == "unknown" or (det.name == "standardized" and not _standardizing(exp)):
            return self._out_of_range(ctx, v, exp)
        return []

    def _mismatch(self, ctx, v: _View, exp: ExpectedInput, A: Encoding) -> Finding:
        E = exp.encoding
        scale, shift = _distance(A, E, v)
        got = _data_label(v)
        hint = f"Make the inputs what {_who(exp)} was trained on: {exp.transform}."
        if A.kind == "raw":
            what = "not_normalized" if E.centered else "wrong_scale"
            sev = Severity.ERROR
            msg = (f"{v.name} holds {got} but {_who(exp)} expects {E.label}: the first layer sees "
                   f"inputs {scale:.3g}x off the scale it was trained on.")
        elif A.kind == "twice":
            what, sev = "double_normalized", Severity.ERROR
            msg = (f"{v.name} looks normalized twice with {_preset_label(A.base)}: its channel means "
                   f"{_fmt(v.stats.mean)} are far below 0, where one normalization puts them.")
            hint = ("Apply Normalize once: look for a second one in the dataset's transform and the "
                    "training loop.")
        elif A.kind == "reversed" and A.same_as(E.reversed()):
            what, sev = "channel_order", Severity.WARNING
            msg = (f"{v.name}'s per-channel ranges match {E.label} in reversed order: the channels "
                   f"are {A.order} but {_who(exp)} expects {E.order}.")
            hint = (f"Convert images to {E.order} (cv2.cvtColor(img, cv2.COLOR_BGR2RGB), or x[:, ::-1] "
                    f"on NCHW arrays) and normalize with the constants in {E.order} order.")
        else:
            what = "wrong_preset"
            sev = Severity.ERROR if scale > _ERROR_SCALE or shift > _ERROR_SHIFT else Severity.WARNING
            order = f" in {A.order} order" if A.order != E.order and A.order not in A.label else ""
            off = (f"{scale:.3g}x off the scale it was trained on" if scale > _ERROR_SCALE else
                   f"{scale:.3g}x off in scale and an average pixel moves by {shift:.0%} of the range")
            msg = f"{v.name} is encoded as {got}{order} but {_who(exp)} expects {E.label}: inputs are {off}."
        score = np.nanmax(np.abs(v.mean), axis=1)
        return self.finding(what, sev, msg, hint=hint, split=v.name,
                            metrics={**_range_metrics(v), "scale_ratio": round(scale, 4),
                                     "center_shift_ratio": round(shift, 4)},
                            **_samples(ctx, v, score), evidence=[_table(v, E)])

    def _out_of_range(self, ctx, v: _View, exp: ExpectedInput) -> list[Finding]:
        E = exp.encoding
        p_lo, p_hi = E.to_pixels(v.stats.lo), E.to_pixels(v.stats.hi)
        outside = float(max(0.0, -p_lo.min(), p_hi.max() - 1))
        if outside < 0.1:
            return []
        sev = Severity.ERROR if outside >= 1 else Severity.WARNING
        mean, std = E.channels(v.stats.n_channels)
        msg = (f"{v.name}'s values in [{v.stats.lo.min():.3g}, {v.stats.hi.max():.3g}] match no known "
               f"encoding and reach past the range {_who(exp)} was trained on "
               f"([{(-mean / std).min():.3g}, {((1 - mean) / std).max():.3g}] for {E.label}).")
        score = np.nanmax(np.maximum(-E.to_pixels(v.lo), E.to_pixels(v.hi) - 1), axis=1)
        return [self.finding("unknown_encoding", sev, msg, split=v.name,
                             hint=f"Encode inputs as the model expects: {exp.transform}.",
                             metrics={**_range_metrics(v), "outside_ratio": round(outside, 4)},
                             **_samples(ctx, v, score), evidence=[_table(v, E)])]

    def _content_order(self, ctx, v: _View, exp: ExpectedInput, A: Encoding) -> list[Finding]:
        """Channel means ordered opposite to the pretraining data's (ImageNet: R > G > B)."""
        if exp.reference is None or v.stats.n_channels != 3 or v.replicated():
            return []
        m, ref = A.to_pixels(v.stats.mean), np.asarray(exp.reference[0])
        # ImageNet's means fall from R to B: the steps of the data's means, signed so that
        # those of the pretraining data are negative, are all positive when the order is reversed.
        steps = np.sign(ref[0] - ref[2]) * np.diff(m)
        if not (np.all(steps > 0) and steps.sum() >= _ORDER_GAP):
            return []
        E = exp.encoding
        other = "BGR" if E.order == "RGB" else "RGB"
        msg = (f"{v.name}'s channel means ({_fmt(m)} in [0, 1]) run opposite to those of the data "
               f"{_who(exp)} was pretrained on ({_fmt(ref)}): the channels may be {other} "
               "(or the images are unusually blue, like sky, water or satellite views).")
        return [self.finding("channel_order", Severity.INFO, msg, split=v.name,
                             hint=f"If images are loaded with OpenCV, convert them to {E.order} "
                                  "(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).",
                             metrics={"channel_gap": round(float(steps.sum()), 4)},
                             n_samples=len(v.index))]

    def _files_order(self, ctx, v: _View, exp: ExpectedInput) -> list[Finding]:
        if exp.encoding.order == "RGB" or v.stats.n_channels != 3:
            return []
        return [self.finding("channel_order", Severity.INFO,
                             f"{v.name}'s image files decode to RGB but {_who(exp)} expects BGR.",
                             split=v.name, hint="Reverse the channels in your transforms (x[[2, 1, 0]]).",
                             n_samples=len(v.index))]

    def _domain(self, ctx, v: _View, exp: ExpectedInput, A: Encoding | None) -> list[Finding]:
        if exp.reference is None or (v.files and not v.eight_bit):
            return []
        scale = (lambda x: np.asarray(x) / 255.0) if A is None else A.to_pixels
        m = scale(v.stats.mean)
        s = v.stats.std / 255.0 if A is None else v.stats.std * A.channels(v.stats.n_channels)[1]
        ref_m, ref_s = np.asarray(exp.reference[0]), np.asarray(exp.reference[1])
        if v.stats.n_channels == 1:
            m, s = np.repeat(m, 3), np.repeat(s, 3)
        elif v.stats.n_channels != 3:
            return []
        z, r = (m - ref_m) / ref_s, s / ref_s
        shift, lo_r, hi_r = float(np.abs(z).max()), float(r.min()), float(r.max())

        def beyond(limits):
            return shift > limits[0] or hi_r > limits[1] or lo_r < 1 / limits[1]

        if not beyond(_DOMAIN_INFO):
            return []
        sev = Severity.WARNING if beyond(_DOMAIN_WARN) else Severity.INFO
        msg = (f"{v.name}'s pixels (mean {_fmt(m)}, std {_fmt(s)} in [0, 1]) differ from the data "
               f"{_who(exp)} was pretrained on (mean {_fmt(ref_m)}, std {_fmt(ref_s)}): normalized "
               f"with the model's constants their mean is up to {shift:.2g} away from 0 and their "
               f"std is {_span(lo_r, hi_r)} instead of 1.")
        per_sample = scale(v.mean) if A is None else A.to_pixels(v.mean)
        if per_sample.shape[1] == 1:
            per_sample = np.repeat(per_sample, 3, axis=1)
        score = np.nanmax(np.abs(per_sample - ref_m) / ref_s, axis=1)
        return [self.finding("domain_shift", sev, msg, split=v.name,
                             hint="Fine-tuning usually copes; if it trains poorly, normalize with your "
                                  "dataset's own per-channel mean and std, computed on train.",
                             metrics={"mean_shift_std": round(shift, 4), "min_std_ratio": round(lo_r, 4),
                                      "max_std_ratio": round(hi_r, 4)},
                             **_samples(ctx, v, score))]

    def _layout(self, ctx, v: _View, exp: ExpectedInput) -> list[Finding]:
        if v.files or exp.model is None or v.layout != "NHWC":
            return []
        return [self.finding("channel_last", Severity.WARNING,
                             f"Arrays in {v.name} are channel-last (N, H, W, C) but {_who(exp)} takes "
                             "channel-first (N, C, H, W) tensors.", split=v.name,
                             hint="Permute before the model (x.permute(0, 3, 1, 2)); ToTensor() does it "
                                  "for single images.",
                             metrics={"n_channels": v.n_channels_stored}, **_samples(ctx, v, None))]

    def _size(self, ctx, v: _View, exp: ExpectedInput) -> list[Finding]:
        crop = exp.crop_size
        if crop is None:
            return []
        side, far_side = min(v.height, v.width), max(v.height, v.width)
        small = side * _SIZE_FACTOR < crop
        large = not v.files and far_side > _SIZE_FACTOR * max(crop, exp.resize_size or crop)
        if not (small or large):
            return []
        how = "median " if v.files else ""
        msg = (f"Images in {v.name} are {v.height:.0f}x{v.width:.0f} ({how}height x width), far from the "
               f"{crop}x{crop} crops {_who(exp)} was trained on.")
        resize = exp.resize_size or crop
        return [self.finding("input_size", Severity.INFO, msg, split=v.name,
                             hint=f"Resize in your transforms (transforms.Resize({resize}), "
                                  f"transforms.CenterCrop({crop})); pretrained features work best "
                                  "near that size.",
                             metrics={"height": v.height, "width": v.width, "model_crop_size": crop},
                             n_samples=len(v.index))]

    def _gray(self, ctx, v: _View, exp: ExpectedInput) -> list[Finding]:
        if v.stats.n_channels == 3 and v.replicated():
            msg = (f"Images in {v.name} carry one grayscale image in all three channels; {_who(exp)} "
                   "takes them, but its color filters see no color.")
            hint = "Nothing to fix if the images are grayscale by nature."
        elif v.stats.n_channels == 1:
            msg = f"Images in {v.name} are grayscale (one channel) while {_who(exp)} takes three channels."
            hint = ("Replicate the channel: transforms.Grayscale(num_output_channels=3), or "
                    "x.expand(-1, 3, -1, -1) on NCHW tensors (ImageFolder's loader converts files to RGB).")
        else:
            return []
        return [self.finding("grayscale", Severity.INFO, msg, split=v.name, hint=hint,
                             metrics={"n_channels": v.n_channels_stored}, n_samples=len(v.index))]


# -- helpers ----------------------------------------------------------------------------------


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding for splits that share the same ``Images in <split> ...`` message."""
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        key = (f.code, f.severity, f.message.replace(f" in {f.split} ", " in <split> ", 1), f.hint)
        groups.setdefault(key, []).append(f)
    out = []
    for (code, sev, msg, hint), group in groups.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        names = " and ".join(f.split for f in group)
        samples = [s for f in group for s in f.samples][:MAX_SAMPLES]
        out.append(replace(group[0], message=msg.replace("<split>", names), split=None,
                           samples=tuple(samples), n_samples=sum(f.n_samples for f in group)))
    return out


def _view(ctx: CheckContext, s: SplitScan) -> _View | None:
    im = s.images
    if im is None:
        return None
    ok = np.flatnonzero(im.ok)
    if not len(ok):
        return None
    ch = im.channels[ok].astype(int)
    c = 3 if (ch >= 3).any() else max(1, int(ch.max()))
    gray = ch == 1

    def per_sample(a: np.ndarray) -> np.ndarray:
        vals = a[ok, :c].astype(np.float64)
        if c > 1 and gray.any():  # an RGB loader replicates grayscale files
            vals[gray] = vals[gray, :1]
        return np.where(np.isfinite(vals), vals, np.nan)

    mean, std, lo, hi = (per_sample(a) for a in (im.mean, im.std, im.min, im.max))
    if np.isnan(mean).all(axis=0).any() or np.isnan(lo).all(axis=0).any():
        return None
    split_mean = np.nanmean(mean, axis=0)
    var = np.nanmean(std ** 2 + mean ** 2, axis=0) - split_mean ** 2
    files = s.array is None
    dtype = "uint8" if files else s.array.dtype
    stats = ChannelStats(split_mean, np.sqrt(np.clip(var, 0, None)), np.nanmin(lo, axis=0),
                         np.nanmax(hi, axis=0), integer=files or np.dtype(dtype).kind in "iub")
    layout = "files" if files else s.array.layout
    return _View(s.name, files, ok, mean, std, lo, hi, stats, float(np.median(im.height[ok])),
                 float(np.median(im.width[ok])), int(np.max(ch)), layout, str(dtype))


def _equivalent(A: Encoding, E: Encoding, v: _View) -> bool:
    if A.same_as(E):
        return True
    scale, shift = _distance(A, E, v)
    return A.order == E.order and scale <= _SAME_SCALE and shift <= _SAME_SHIFT


def _distance(A: Encoding, E: Encoding, v: _View) -> tuple[float, float]:
    """How far the model's inputs move: scale factor, and shift of an average pixel in [0, 1] units."""
    c = v.stats.n_channels
    k = E.channels(c)[1] / A.channels(c)[1]
    scale = float(max(k.max(), 1 / k.min()))
    shift = float(np.abs(E.to_pixels(v.stats.mean) - A.to_pixels(v.stats.mean)).max())
    return scale, shift


def _standardizing(exp: ExpectedInput) -> bool:
    """Whether the model's inputs are standardized (pretraining data at mean 0, std 1)."""
    if exp.reference is None:
        return False
    E = exp.encoding
    z = (np.asarray(exp.reference[0]) - np.asarray(E.mean)) / np.asarray(E.std)
    r = np.asarray(exp.reference[1]) / np.asarray(E.std)
    return bool(np.abs(z).max() < 0.5 and r.min() > 0.5 and r.max() < 2)


def _who(exp: ExpectedInput) -> str:
    return exp.model or f"the model ({exp.source})"


def _preset_label(name: str) -> str:
    return next((c.label for c in CANDIDATES if c.name == name), name)


def _data_label(v: _View) -> str:
    det = v.detected
    if det is None:
        return "image files"
    if det.encoding is not None and det.encoding.kind == "raw":
        kind = "integer" if v.stats.integer else "float"
        return f"raw pixels in {det.label} ({kind})"
    return det.label


def _encoding_text(v: _View) -> str:
    rng = f"[{v.stats.lo.min():.4g}, {v.stats.hi.max():.4g}]"
    chans = {1: "one channel", 3: "three channels"}.get(v.stats.n_channels, f"{v.stats.n_channels} channels")
    if v.stats.n_channels == 3 and v.replicated():
        chans = "grayscale replicated to three channels"
    if v.files:
        bits = "8-bit" if v.eight_bit else "more than 8-bit"
        return (f"{bits} image files with values in {rng} ({chans}); what the model sees depends on "
                "the transforms that load them")
    det = v.detected
    meaning = {"unknown": "no known encoding", "constant": "a constant"}.get(det.name, _data_label(v))
    return f"{v.dtype} {v.layout} array with values in {rng} ({chans}): {meaning}"


def _range_metrics(v: _View) -> dict:
    return {"value_min": float(v.stats.lo.min()), "value_max": float(v.stats.hi.max()),
            "channel_mean": [round(float(x), 4) for x in v.stats.mean],
            "channel_std": [round(float(x), 4) for x in v.stats.std]}


def _table(v: _View, E: Encoding | None) -> Evidence:
    c = v.stats.n_channels
    if c == 3:
        names = list(E.order if E else "RGB")
    else:
        names = ["gray"] if c == 1 else [f"ch{i}" for i in range(c)]
    cols = ["channel", "mean", "std", "min", "max"]
    rows = [[names[i], *(round(float(a[i]), 4) for a in (v.stats.mean, v.stats.std, v.stats.lo, v.stats.hi))]
            for i in range(c)]
    if E is not None:
        cols += ["expected min", "expected max"]
        mean, std = E.channels(c)
        for i, row in enumerate(rows):
            row += [round(float(-mean[i] / std[i]), 4), round(float((1 - mean[i]) / std[i]), 4)]
    return Evidence("table", f"{v.name}: per-channel values", {"columns": cols, "rows": rows})


def _samples(ctx: CheckContext, v: _View, score: np.ndarray | None) -> dict:
    if score is None:
        order = np.arange(len(v.index))
    else:
        order = np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")
    return {"samples": ctx.sample_ids(v.name, v.index[order[:MAX_SAMPLES]]), "n_samples": len(v.index)}


def _span(lo: float, hi: float) -> str:
    return f"{lo:.2g}" if f"{lo:.2g}" == f"{hi:.2g}" else f"{lo:.2g} to {hi:.2g}"


def _fmt(values) -> str:
    return "(" + ", ".join(f"{float(x):.3f}" for x in np.atleast_1d(values)) + ")"
