"""``smoke.nan_origin``: where the first non-finite value of a training run comes from (item 37)."""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any

from datacheck.spec.params import Param
from datacheck.report.findings import Finding, Severity
from datacheck.smoke._base import Probe, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import fmt, hooks, tensors_in
from datacheck.smoke._torch import torch
from datacheck.smoke._trace import Failure, get_trace

log = logging.getLogger("datacheck.smoke")

# Ops that write -inf/inf on purpose (attention masks); an Inf from them is not a bug by itself.
_MASK_OPS = {"masked_fill", "masked_fill_", "fill_", "full", "full_like", "new_full", "where",
             "masked_scatter", "index_fill", "index_fill_", "clamp", "clamp_"}


@dataclass
class Origin:
    """The first op that produced a non-finite value from finite inputs."""

    op: str
    module: str
    module_type: str
    input_min: float | None
    input_max: float | None
    nan: bool


def _op_name(func: Any) -> str:
    name = getattr(func, "__name__", repr(func))
    qual = getattr(func, "__qualname__", "") or ""
    module = getattr(func, "__module__", None) or ""
    if qual.startswith("TensorBase.") or (not module and "." in qual):
        return f"Tensor.{name}"
    if module.startswith(("torch._C._nn", "torch.nn.functional")):
        return f"torch.nn.functional.{name}"
    return f"torch.{name}"


def _finder_mode() -> Any:
    from torch.overrides import TorchFunctionMode

    class Finder(TorchFunctionMode):
        """Watches every torch function call; keeps the first that creates NaN and the first
        that creates Inf from finite inputs, with the module it ran in."""

        def __init__(self, stack: list[tuple[str, str]]) -> None:
            super().__init__()
            self.stack = stack
            self.first_nan: Origin | None = None
            self.first_inf: Origin | None = None

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            out = func(*args, **(kwargs or {}))
            if self.first_nan is None:
                try:
                    self._inspect(func, args, kwargs or {}, out)
                except Exception as exc:  # noqa: BLE001 - inspection must never break the replay
                    log.debug("nan_origin: cannot inspect %s: %s", func, exc)
            return out

        def _inspect(self, func: Any, args: Any, kwargs: Any, out: Any) -> None:
            outs = [t for t in tensors_in(out) if t.is_floating_point()]
            if not outs:
                return
            has_nan = any(bool(torch.isnan(t).any()) for t in outs)
            has_inf = not has_nan and self.first_inf is None and any(bool(torch.isinf(t).any()) for t in outs)
            if not (has_nan or has_inf):
                return
            ins = [t for t in tensors_in((args, kwargs)) if t.is_floating_point()]
            if has_nan and any(bool(torch.isnan(t).any()) for t in ins):
                return
            if has_inf and (any(not bool(torch.isfinite(t).all()) for t in ins)
                            or getattr(func, "__name__", "") in _MASK_OPS):
                return
            finite = [t.detach().float()[torch.isfinite(t)] for t in ins]
            finite = [t for t in finite if t.numel()]
            lo = min(float(t.min()) for t in finite) if finite else None
            hi = max(float(t.max()) for t in finite) if finite else None
            module, mtype = self.stack[-1] if self.stack else ("", "")
            origin = Origin(_op_name(func), module, mtype, lo, hi, has_nan)
            if has_nan:
                self.first_nan = origin
            else:
                self.first_inf = origin

    return Finder


@register
class NanOriginProbe(Probe):
    """Where the first NaN or Inf of the short training run comes from.

    What it detects: the step at which the loss (or, without AMP, a gradient) of the short
    training run stops being finite, and its origin. The run checks the loss and the gradient
    norms at every step (cheap); on the first failure it replays that batch, with the same RNG
    state, watching every torch operation: it names the first operation that produced a NaN
    (or an Inf from finite inputs; masking ops that write -inf on purpose are ignored), the
    module it ran in, and the range of its inputs. When the forward pass stays finite and the
    gradient does not, the backward is replayed under autograd's anomaly mode, which names the
    backward function and the forward line that created it.
    Why it matters: one NaN poisons every weight within a step; finding which of hundreds of
    operations made it is the slow part of the fix.

    Parameters
    ----------
    anomaly : bool, default=True
        Replay a failing backward under torch.autograd.detect_anomaly (2.5-3x slower, once).
    """

    id = "smoke.nan_origin"
    items = (37,)
    needs = ("valid_targets",)
    params = {
        "anomaly": Param(True, "Replay a failing backward under autograd's anomaly mode.", bool),
    }

    def run(self, ctx: SmokeContext) -> list[Finding]:
        trace = get_trace(ctx)
        failure = trace.failure
        if failure is None:
            return []
        origin, backward = self._replay(ctx, failure)
        what = "NaN" if math.isnan(failure.loss) else "Inf"
        metrics: dict[str, Any] = {"step": failure.step, "kind": failure.kind,
                                   "last_losses": trace.losses[-5:]}
        if failure.kind == "loss":
            lead = f"The loss became {what} at step {failure.step} of the training run"
            if trace.losses:
                lead += f" (it was {fmt(trace.losses[-1])} the step before)"
        else:
            lead = (f"The gradients became non-finite at step {failure.step} of the training run "
                    f"while the loss was {fmt(failure.loss)}")
        if origin is not None:
            where = f"module '{origin.module}' ({origin.module_type})" if origin.module else "the loss function"
            value = "NaN" if origin.nan else "Inf"
            rng = (f", whose inputs ranged over [{fmt(origin.input_min)}, {fmt(origin.input_max)}]"
                   if origin.input_min is not None else "")
            message = f"{lead}; the first {value} came from {origin.op} in {where}{rng}."
            metrics.update({"op": origin.op, "module": origin.module, "module_type": origin.module_type,
                            "input_min": origin.input_min, "input_max": origin.input_max})
        elif backward is not None:
            message = f"{lead}; the first NaN came from {backward['op']} in the backward pass."
            metrics.update(backward)
        else:
            message = f"{lead}; replaying the step did not reproduce a first non-finite operation."
        diverged = bool(trace.losses) and failure.step > 0 and trace.losses[-1] > 2 * trace.losses[0]
        hint = ("The loss was growing before it overflowed: lower the learning rate (smoke.lr_range) "
                "or clip gradients." if diverged else
                "Guard the operation (log(x.clamp_min(eps)), sqrt(x + eps), log_softmax instead of "
                "log(softmax)), or check the inputs for NaN/Inf.")
        return [self.finding(f"non_finite_{failure.kind}", Severity.ERROR, message, hint=hint,
                             metrics=metrics)]

    def _replay(self, ctx: SmokeContext, failure: Failure) -> tuple[Origin | None, dict | None]:
        model = failure.model
        stack: list[tuple[str, str]] = []
        handles = []

        def enter(name: str) -> Any:
            def hook(mod: Any, inp: Any) -> None:
                stack.append((name, type(mod).__name__))
            return hook

        def leave(mod: Any, inp: Any, out: Any) -> None:
            if stack:
                stack.pop()

        for name, m in model.named_modules():
            if name:
                handles += [m.register_forward_pre_hook(enter(name)), m.register_forward_hook(leave)]
        finder = _finder_mode()(stack)
        ctx.set_rng_state(failure.rng)
        with hooks(handles), torch.no_grad(), finder:
            try:
                ctx.loss(ctx.forward(model, failure.x), failure.y)
            except Exception as exc:  # noqa: BLE001 - report what was seen before the error
                log.debug("nan_origin: the replay raised %s", exc)
        origin = finder.first_nan if math.isnan(failure.loss) else finder.first_inf
        origin = origin or finder.first_nan or finder.first_inf
        if origin is not None or failure.kind != "grad" or not self.config["anomaly"]:
            return origin, None
        return None, self._anomaly(ctx, failure)

    def _anomaly(self, ctx: SmokeContext, failure: Failure) -> dict | None:
        model = failure.model
        ctx.set_rng_state(failure.rng)
        model.zero_grad(set_to_none=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with torch.autograd.detect_anomaly(check_nan=True):
                    ctx.loss(ctx.forward(model, failure.x), failure.y).backward()
            except RuntimeError as exc:
                match = re.search(r"Function '(\w+)'", str(exc))
                trace_lines = [ln.strip() for w in caught for ln in str(w.message).splitlines()
                               if ln.strip()]
                return {"op": match.group(1) if match else str(exc).splitlines()[0],
                        "forward_trace": trace_lines[-2:]}
        return None
