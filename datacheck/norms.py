"""What pretrained models expect as input, and how to recognise how an input is encoded.

Every encoding here is per-channel affine: a raw pixel ``p`` in [0, 1] of channel ``c`` (in the
order the data stores channels) becomes ``x = (p - mean[c]) / std[c]``. ``[0, 255]`` is
``mean 0, std 1/255``, ImageNet normalization is ``mean (0.485, 0.456, 0.406), std (0.229,
0.224, 0.225)``, normalizing twice is again affine, and so on. Recognising an encoding is then
inverting each candidate on the data's per-channel range and keeping the one under which the
pixels fill [0, 1] best.

The expected encoding comes from a torchvision model name (its weights' ``transforms()``:
mean, std, resize and crop sizes; nothing is downloaded), from a preset name, or from explicit
mean/std. torch is imported only for a model name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from datacheck.errors import ConfigError

INSTALL_HINT = "pip install 'datacheck[torch]'"
Triple = tuple[float, float, float]


@dataclass(frozen=True)
class Encoding:
    """A per-channel affine map from pixels in [0, 1] to the values a network receives.

    Parameters
    ----------
    name : str
        Stable id (``0-255``, ``0-1``, ``imagenet``, ``imagenet-twice``...).
    label : str
        Words for messages (``ImageNet mean/std``).
    mean, std : tuple of float
        Per stored channel, in pixel units ([0, 1]).
    order : str
        ``RGB`` or ``BGR``: the channel order of the pixels the encoding is meant for.
    kind : str
        ``raw`` (a scale only: [0, 255], [0, 1]), ``preset`` (mean/std normalization),
        ``twice`` (a preset applied twice), ``unscaled`` (a preset applied to [0, 255] values),
        ``reversed`` (a preset's constants in the other channel order).
    base : str
        The preset a ``twice``/``unscaled``/``reversed`` encoding derives from, else ``name``.
    """

    name: str
    label: str
    mean: Triple
    std: Triple
    order: str = "RGB"
    kind: str = "preset"
    base: str = ""

    @property
    def centered(self) -> bool:
        """Whether the encoding subtracts a mean (a normalizing one), rather than only scaling."""
        return any(m != 0 for m in self.mean)

    def channels(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std for data of ``n`` channels (one channel uses the average constants)."""
        mean, std = np.asarray(self.mean, float), np.asarray(self.std, float)
        if n == 1:
            return mean.mean(keepdims=True), std.mean(keepdims=True)
        return mean[:n], std[:n]

    def to_pixels(self, x: np.ndarray) -> np.ndarray:
        """Invert the encoding: values (..., c) to pixels in [0, 1] units."""
        mean, std = self.channels(np.shape(x)[-1])
        return np.asarray(x, float) * std + mean

    def reversed(self) -> "Encoding":
        """The same constants in the other channel order."""
        order = "BGR" if self.order == "RGB" else "RGB"
        return Encoding(f"{self.name}-reversed", f"{self.label} in {order} order", self.mean[::-1],
                        self.std[::-1], order, "reversed", self.name)

    def same_as(self, other: "Encoding", tol: float = 2e-3) -> bool:
        """Whether both map pixels the same way (constants equal within ``tol``, same order)."""
        return (self.order == other.order
                and np.allclose(self.mean, other.mean, atol=tol)
                and np.allclose(np.log(self.std), np.log(other.std), atol=tol * 5))


def _twice(p: Encoding) -> Encoding:
    # x1 = (p - m) / s; x2 = (x1 - m) / s = (p - m(1 + s)) / s^2
    mean = tuple(m * (1 + s) for m, s in zip(p.mean, p.std))
    std = tuple(s * s for s in p.std)
    return Encoding(f"{p.name}-twice", f"{p.label} applied twice", mean, std, p.order, "twice", p.name)


def _unscaled(p: Encoding) -> Encoding:
    # (255 p - m) / s = (p - m / 255) / (s / 255)
    return Encoding(f"{p.name}-unscaled", f"{p.label} applied to [0, 255] values",
                    tuple(m / 255 for m in p.mean), tuple(s / 255 for s in p.std), p.order,
                    "unscaled", p.name)


IMAGENET = Encoding("imagenet", "ImageNet mean/std", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
CLIP = Encoding("clip", "CLIP mean/std", (0.48145466, 0.4578275, 0.40821073),
                (0.26862954, 0.26130258, 0.27577711))
INCEPTION = Encoding("inception", "[-1, 1] (Inception-style mean 0.5, std 0.5)", (0.5,) * 3, (0.5,) * 3)
CAFFE = Encoding("caffe", "Caffe-style BGR mean subtraction on [0, 255]",
                 (103.939 / 255, 116.779 / 255, 123.68 / 255), (1 / 255,) * 3, "BGR")
RANGE_255 = Encoding("0-255", "[0, 255]", (0.0,) * 3, (1 / 255,) * 3, kind="raw")
RANGE_1 = Encoding("0-1", "[0, 1]", (0.0,) * 3, (1.0,) * 3, kind="raw")
RANGE_1_255 = Encoding("0-1/255", "[0, 1/255] (divided by 255 twice)", (0.0,) * 3, (255.0,) * 3,
                       kind="raw")

#: ``--norm`` values; ``none`` is a model that takes [0, 1] input and normalizes inside
#: (torchvision's detection models do).
PRESETS: dict[str, Encoding] = {"imagenet": IMAGENET, "clip": CLIP, "inception": INCEPTION,
                                "caffe": CAFFE, "none": RANGE_1}
_NORMALIZING = (IMAGENET, CLIP, INCEPTION, CAFFE)
CANDIDATES: tuple[Encoding, ...] = (
    RANGE_255, RANGE_1, RANGE_1_255, *_NORMALIZING,
    *(_twice(p) for p in (IMAGENET, CLIP, INCEPTION)),
    *(_unscaled(p) for p in (IMAGENET, CLIP, INCEPTION)),
    *(p.reversed() for p in (IMAGENET, CLIP, CAFFE)),
)


@dataclass(frozen=True)
class ExpectedInput:
    """What a model's first layer expects.

    Parameters
    ----------
    encoding : Encoding
        How pixels must be encoded.
    source : str
        Where this came from, for messages (``resnet50 (ResNet50_Weights.IMAGENET1K_V2)``).
    model : str or None
        The torchvision model name, when one was given.
    crop_size, resize_size : int or None
        The input side the model was trained on, and the resize before cropping.
    reference : tuple of (mean, std) or None
        Pixel statistics in [0, 1] of the data the model was pretrained on, to compare a
        dataset's domain with; None when unknown.
    """

    encoding: Encoding
    source: str
    model: str | None = None
    crop_size: int | None = None
    resize_size: int | None = None
    reference: tuple[Triple, Triple] | None = None

    @property
    def transform(self) -> str:
        """How to produce this encoding from a PIL image, in torchvision's words."""
        e = self.encoding
        if e is RANGE_1:
            return "transforms.ToTensor() and no Normalize"
        if e.kind == "raw":
            return f"pixels scaled to {e.label}"
        if e.order == "BGR":
            return f"BGR pixels in [0, 255] minus the per-channel mean {_numbers(np.multiply(e.mean, 255))}"
        return (f"transforms.ToTensor() then transforms.Normalize(mean={_numbers(e.mean)}, "
                f"std={_numbers(e.std)})")


def _numbers(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in values) + "]"


def _standardizing(mean: Sequence[float], std: Sequence[float]) -> bool:
    """Whether constants look like pixel statistics of a training set (so usable as a domain)."""
    return all(0 < m < 1 for m in mean) and all(0.05 <= s <= 0.4 for s in std)


def _reference(enc: Encoding) -> tuple[Triple, Triple] | None:
    if enc.order == "RGB" and _standardizing(enc.mean, enc.std):
        return enc.mean, enc.std
    # [-1, 1], [0, 1] and Caffe-style models were (almost all) pretrained on ImageNet.
    ref = (IMAGENET.mean, IMAGENET.std)
    return ref if enc.order == "RGB" else (ref[0][::-1], ref[1][::-1])


def _triple(name: str, value: Any) -> Triple:
    """Parse ``--mean``/``--std``: a number, a sequence of 1 or 3, or ``"0.5,0.5,0.5"``."""
    if isinstance(value, str):
        parts = [v for v in value.replace(",", " ").split() if v]
    elif isinstance(value, (int, float)):
        parts = [value]
    else:
        parts = list(value)
    try:
        nums = [float(v) for v in parts]
    except (TypeError, ValueError):
        nums = []
    if len(nums) not in (1, 3) or not all(np.isfinite(nums)):
        raise ConfigError(f"The {name!r} option must be 1 or 3 numbers (e.g. 0.485,0.456,0.406). "
                          f"Got {value!r} instead.")
    return tuple(nums * 3 if len(nums) == 1 else nums)  # type: ignore[return-value]


def _custom(mean: Any, std: Any) -> Encoding:
    m = _triple("mean", mean) if mean is not None else (0.0,) * 3
    s = _triple("std", std) if std is not None else None
    if s is not None and min(s) <= 0:
        raise ConfigError(f"The 'std' option must be positive numbers. Got {std!r} instead.")
    # Constants above 1 are in [0, 255] units (Caffe, OpenCV, mmcv style), as is a mean-only
    # subtraction of such a mean; without std the scale is the mean's own unit.
    in_255 = max(m) > 1 or (s is not None and max(s) > 1)
    unit = 255.0 if in_255 else 1.0
    s = s or (1.0,) * 3
    enc = Encoding("custom", f"mean {list(m)}, std {list(s)}", tuple(v / unit for v in m),
                   tuple(v / unit for v in s))
    return next((p for p in (*_NORMALIZING, RANGE_1, RANGE_255) if p.same_as(enc)), enc)


def expected_norm(model: str | None = None, norm: str | None = None, mean: Any = None,
                  std: Any = None) -> ExpectedInput | None:
    """The input a model expects, from a model name, a preset, or explicit constants.

    Parameters
    ----------
    model : str, optional
        A torchvision model name (``resnet50``) or weights (``ResNet50_Weights.IMAGENET1K_V1``);
        needs torchvision (``datacheck[torch]``). Nothing is downloaded.
    norm : {'imagenet', 'clip', 'inception', 'caffe', 'none'}, optional
        A preset; ``none`` means [0, 1] input that the model normalizes itself. Overrides the
        model's constants (its input size is kept).
    mean, std : number, sequence of 1 or 3 numbers, or comma-separated str, optional
        Explicit constants in RGB order, in [0, 1] units (or [0, 255] units when a value
        exceeds 1). Override the model's constants; cannot be combined with ``norm``.

    Returns
    -------
    ExpectedInput or None
        None when nothing was given.

    Raises
    ------
    ConfigError
        For an unknown preset or model, malformed constants, ``norm`` together with
        ``mean``/``std``, or a model name without torchvision installed.
    """
    custom = mean is not None or std is not None
    if norm is not None and custom:
        raise ConfigError("Give either the 'norm' option or 'mean'/'std', not both.")
    expected = _model_input(str(model)) if model not in (None, "") else None
    if norm is not None:
        key = str(norm).strip().lower()
        if key not in PRESETS:
            raise ConfigError(f"The 'norm' option must be one of {', '.join(PRESETS)}. Got {norm!r} instead.")
        enc, source = PRESETS[key], f"--norm {key}"
    elif custom:
        enc, source = _custom(mean, std), "--mean/--std"
    else:
        return expected
    # Constants of no known preset tell the pretraining data's statistics only if they look like some.
    ref = None if enc.name == "custom" and not _standardizing(enc.mean, enc.std) else _reference(enc)
    if expected is not None:
        return replace(expected, encoding=enc, source=f"{expected.source} with {source}", reference=ref)
    return ExpectedInput(enc, source, reference=ref)


def known_models() -> list[str]:
    """Names of the torchvision models whose input this module can read (needs torchvision)."""
    tv = _torchvision()
    from torchvision.models import quantization

    return sorted(set(tv.models.list_models()) | set(tv.models.list_models(module=quantization)))


def _torchvision():
    try:
        import torchvision
    except ImportError:
        raise ConfigError("The 'model' option reads the model's preprocessing from torchvision, which "
                          f"is not installed: {INSTALL_HINT}. Without it, give the 'norm' option "
                          "(imagenet, clip, inception, caffe, none) or 'mean'/'std'.") from None
    return torchvision


@functools.lru_cache(maxsize=64)
def _model_input(name: str) -> ExpectedInput:
    tv = _torchvision()
    try:
        weights = (tv.models.get_weight(name) if "_Weights." in name
                   else tv.models.get_model_weights(name).DEFAULT)
    except (ValueError, KeyError, AttributeError):
        raise ConfigError(f"Unknown model {name!r} for the 'model' option; torchvision models: "
                          f"{', '.join(known_models())}. For another model give 'norm' or "
                          "'mean'/'std'.") from None
    t = weights.transforms()
    kind = type(t).__name__
    if kind == "ObjectDetection":  # detection models take [0, 1] and normalize inside
        enc = RANGE_1
    elif kind == "OpticalFlow":
        enc = INCEPTION
    else:
        enc = Encoding(name, f"{name} mean/std", tuple(map(float, t.mean)), tuple(map(float, t.std)))
        enc = next((p for p in _NORMALIZING if p.same_as(enc, 1e-4)), enc)
    crop = getattr(t, "crop_size", None)
    resize = getattr(t, "resize_size", None)
    return ExpectedInput(enc, f"{name} ({weights})", model=name,
                         crop_size=int(min(crop)) if crop else None,
                         resize_size=int(min(resize)) if resize else None,
                         reference=_reference(enc))


# -- recognising an encoding ----------------------------------------------------------------

# Pixels may overshoot [0, 1] a little after bicubic resizing or JPEG decoding.
FIT_TOL = 0.03
# Mean unused share of the [0, 1] range under which an encoding is taken as certain.
TIGHT_SLACK = 0.1
# How much looser the expected encoding may fit than the best one and still be preferred:
# presets as close as ImageNet and CLIP cannot be told apart on data that do not span [0, 1].
# When the best one maps the data onto [0, 1] exactly (slack under EXACT_SLACK), that is no
# coincidence, and the expected one must fit as exactly to be preferred.
PREFER_EXPECTED = 0.15
EXACT_SLACK = 0.02


@dataclass(frozen=True)
class ChannelStats:
    """Per-channel statistics of one split, over its readable samples.

    Parameters
    ----------
    mean, std, lo, hi : numpy.ndarray
        Per channel (1 to 3): mean, standard deviation, minimum and maximum of the values.
    integer : bool
        Whether the values are of an integer type.
    """

    mean: np.ndarray
    std: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    integer: bool = False

    @property
    def n_channels(self) -> int:
        """Number of channels described."""
        return len(self.mean)

    @property
    def constant(self) -> bool:
        """Whether every value is the same."""
        return bool(np.all(self.hi - self.lo <= 1e-9 * np.maximum(1.0, np.abs(self.hi))))

    @property
    def standardized(self) -> bool:
        """Whether each channel has mean near 0 and std near 1 (the dataset's own statistics)."""
        return bool(np.all(np.abs(self.mean) < 0.3) and np.all((self.std > 0.7) & (self.std < 1.4)))


@dataclass(frozen=True)
class Detected:
    """The encoding recognised in a split.

    Parameters
    ----------
    name : str
        An ``Encoding.name``, or ``standardized``, ``unknown`` or ``constant``.
    label : str
        Words for messages.
    encoding : Encoding or None
        The affine map, when one was recognised.
    slack : float
        Mean share of [0, 1] the recognised encoding leaves unused (0: the data span it).
    """

    name: str
    label: str
    encoding: Encoding | None = None
    slack: float = float("nan")


def candidates(expected: Encoding | None = None) -> list[Encoding]:
    """Known encodings, plus the expected one (and it applied twice) when it is not known."""
    out = list(CANDIDATES)
    if expected is not None and not any(expected.same_as(c) for c in out):
        out.append(expected)
        if expected.centered:
            out.append(_twice(expected))
    return out


def classify(stats: ChannelStats, expected: Encoding | None = None) -> Detected:
    """Recognise how a split is encoded from its per-channel range, mean and std.

    Parameters
    ----------
    stats : ChannelStats
        The split's statistics.
    expected : Encoding, optional
        What the model expects; preferred among encodings that fit nearly as well.

    Returns
    -------
    Detected
    """
    if stats.constant:
        return Detected("constant", f"constant ({float(stats.lo[0]):.4g})")
    fits = []
    for enc in candidates(expected):
        p_lo, p_hi = enc.to_pixels(stats.lo), enc.to_pixels(stats.hi)
        if np.all(p_lo >= -FIT_TOL) and np.all(p_hi <= 1 + FIT_TOL):
            slack = float(np.mean(np.clip(p_lo, 0, None) + np.clip(1 - p_hi, 0, None)))
            fits.append((slack, enc))
    tight = [f for f in fits if f[0] < TIGHT_SLACK]
    if tight:
        return _pick(tight if not expected else fits, expected, min(s for s, _ in tight))
    if stats.standardized:
        return Detected("standardized", "standardized per channel (mean 0, std 1)")
    if fits:
        return _pick(fits, expected, min(s for s, _ in fits))
    return Detected("unknown", "no known encoding")


def _pick(fits: list[tuple[float, Encoding]], expected: Encoding | None, best: float) -> Detected:
    margin = PREFER_EXPECTED if best > EXACT_SLACK else EXACT_SLACK
    for slack, enc in fits:
        if expected is not None and enc.same_as(expected) and slack <= best + margin:
            return Detected(enc.name, enc.label, enc, slack)
    slack, enc = min(fits, key=lambda f: f[0])
    return Detected(enc.name, enc.label, enc, slack)
