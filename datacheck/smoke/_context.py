"""What every probe reads: the model, the loader's first batches, the loss and the optimizer.

The context never changes the user's objects. It keeps a template copy of the model on the
run's device; each probe trains or hooks its own fresh copy of that template, under its own
seeded RNG, so probes do not disturb one another and the same seed gives the same findings.
Batches are read once from the loader (one pass, at most ``max_batches``) and cached on the
device; probes that need more steps cycle through them.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

from datacheck.spec.tasks import TASKS
from datacheck.errors import ConfigError
from datacheck.smoke._regression import far_target
from datacheck.smoke._targets import target_mismatch
from datacheck.smoke._torch import nn, torch

DEFAULT_STEPS = 100
DEFAULT_LR = 1e-3
DEVICES = ("auto", "cpu", "cuda")
REGRESSION_KINDS = ("mse", "l1", "huber")
_X_KEYS = ("x", "input", "inputs", "image", "images", "pixel_values", "features", "data")
_Y_KEYS = ("y", "label", "labels", "target", "targets")


def resolve_device(device: Any) -> Any:
    """``auto`` -> CUDA when available, else CPU; ``ConfigError`` for anything unusable."""
    if isinstance(device, torch.device):
        name = str(device)
    else:
        name = str(device)
    base = name.split(":", 1)[0]
    if base not in DEVICES:
        raise ConfigError(f"The 'device' parameter must be one of 'auto', 'cpu', 'cuda' "
                          f"(or 'cuda:N'). Got {device!r} instead.")
    if base == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if base == "cuda" and not torch.cuda.is_available():
        raise ConfigError("The 'device' parameter is 'cuda' but no CUDA device is available; "
                          "use 'auto' or 'cpu'.")
    return torch.device(name)


def unwrap_model(model: Any) -> Any:
    """The eager module behind ``torch.compile`` and (Distributed)DataParallel wrappers.

    Hooks added to a compiled module are ignored and its ``grad_fn`` is opaque, so probes run
    on the original module.
    """
    for _ in range(4):
        if hasattr(model, "_orig_mod"):
            model = model._orig_mod
        elif isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
            model = model.module
        else:
            break
    return model


def logits_of(out: Any) -> Any:
    """The prediction tensor in a model's output: itself, ``out.logits``, or the first tensor."""
    if isinstance(out, torch.Tensor):
        return out
    if hasattr(out, "logits") and isinstance(out.logits, torch.Tensor):
        return out.logits
    if isinstance(out, dict):
        for key in ("logits", "out", "output", "pred"):
            if isinstance(out.get(key), torch.Tensor):
                return out[key]
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        for item in out:
            if isinstance(item, torch.Tensor):
                return item
    raise TypeError(f"cannot find a prediction tensor in a model output of type {type(out).__name__}")


def split_batch(batch: Any) -> tuple[Any, Any]:
    """A loader item as ``(inputs, targets)``: a pair/tuple (first two) or a dict by key."""
    if isinstance(batch, dict):
        x = next((batch[k] for k in _X_KEYS if k in batch), None)
        y = next((batch[k] for k in _Y_KEYS if k in batch), None)
        if x is not None and y is not None:
            return x, y
    elif isinstance(batch, (list, tuple)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise ConfigError("The loader must yield (inputs, targets) pairs or dicts with an input key "
                      f"({', '.join(_X_KEYS)}) and a target key ({', '.join(_Y_KEYS)}); "
                      f"got {type(batch).__name__}.")


def to_device(obj: Any, device: Any) -> Any:
    """Move every tensor inside ``obj`` (nested lists, tuples, dicts) to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device) for v in obj)
    return obj


def loss_kind(loss_fn: Any) -> str:
    """What reference loss applies: ``ce``, ``nll``, ``bce_logits``, ``bce`` (classification),
    ``mse``, ``l1``, ``huber`` (regression; SmoothL1Loss counts as huber) or ``other``."""
    F = torch.nn.functional
    kinds = ((nn.CrossEntropyLoss, "ce"), (nn.NLLLoss, "nll"),
             (nn.BCEWithLogitsLoss, "bce_logits"), (nn.BCELoss, "bce"), (nn.MSELoss, "mse"),
             (nn.L1Loss, "l1"), (nn.HuberLoss, "huber"), (nn.SmoothL1Loss, "huber"))
    for cls, kind in kinds:
        if isinstance(loss_fn, cls):
            return kind
    funcs = {F.cross_entropy: "ce", F.nll_loss: "nll",
             F.binary_cross_entropy_with_logits: "bce_logits", F.binary_cross_entropy: "bce",
             F.mse_loss: "mse", F.l1_loss: "l1", F.huber_loss: "huber", F.smooth_l1_loss: "huber"}
    return funcs.get(loss_fn, "other")


class SmokeContext:
    """The model, data, loss and optimizer of a smoke run, and what probes share.

    Parameters
    ----------
    model : torch.nn.Module
        The user's model; never modified (probes work on copies).
    loader : iterable
        Yields ``(inputs, targets)``; read once, at most ``max_batches`` batches.
    loss_fn : callable, optional
        ``loss_fn(prediction, targets)``; default ``torch.nn.CrossEntropyLoss()``, or
        ``torch.nn.MSELoss()`` for a regression task.
    optimizer : torch.optim.Optimizer or callable, optional
        The optimizer the user trains with (its type, groups and hyper-parameters are copied
        onto each probe's model copy), or a factory ``params -> Optimizer``; default Adam at
        lr 1e-3 over the trainable parameters.
    device : str, default="auto"
        ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
    steps : int, default=100
        Length of the short training run that several probes read.
    seed : int, default=0
        Seed of every probe's RNG.
    amp : bool, default=False
        Run forward passes under autocast (float16 with a GradScaler on CUDA, bfloat16 on CPU).
    max_batches : int, default=64
        Most batches read from the loader.
    task : {"classification", "regression"}, optional
        What the model predicts; None infers it (see ``task``).
    """

    def __init__(self, model: Any, loader: Any, loss_fn: Callable | None = None,
                 optimizer: Any = None, *, device: Any = "auto", steps: int = DEFAULT_STEPS,
                 seed: int = 0, amp: bool = False, max_batches: int = 64,
                 max_cache_bytes: int = 1 << 30, task: str | None = None) -> None:
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 10:
            raise ConfigError(f"The 'steps' parameter must be an int >= 10. Got {steps!r} instead.")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ConfigError(f"The 'seed' parameter must be an int >= 0. Got {seed!r} instead.")
        if not isinstance(amp, bool):
            raise ConfigError(f"The 'amp' parameter must be a bool. Got {amp!r} instead.")
        if not isinstance(model, nn.Module):
            raise ConfigError(f"The 'model' parameter must be a torch.nn.Module. Got {type(model).__name__}.")
        if optimizer is not None and not (isinstance(optimizer, torch.optim.Optimizer) or callable(optimizer)):
            raise ConfigError("The 'optimizer' parameter must be a torch.optim.Optimizer, a callable "
                              f"params -> Optimizer, or None. Got {type(optimizer).__name__}.")
        if task is not None and task not in TASKS:
            raise ConfigError(f"The 'task' parameter must be 'classification', 'regression' or None. "
                              f"Got {task!r} instead.")
        self.device = resolve_device(device)
        self.steps = steps
        self.seed = seed
        self.amp = amp
        self.user_model = unwrap_model(model)
        self.template = copy.deepcopy(self.user_model).to(self.device)
        self._given_loss = loss_fn
        self._given_task = task
        self.optimizer = optimizer
        self.loader = loader
        self.max_batches = max_batches
        self.max_cache_bytes = max_cache_bytes
        self._names = {id(p): n for n, p in self.user_model.named_parameters()}
        self._batches: list[tuple[Any, Any]] = []
        self._bytes = 0
        self._iter: Iterator | None = None
        self._exhausted = False
        self._cache: dict[str, Any] = {}

    # -- shared, computed once -------------------------------------------------------------
    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Return the value stored under ``key``, computing it once; a raised error is kept
        and raised again for every probe that asks."""
        if key not in self._cache:
            try:
                self._cache[key] = (True, compute())
            except Exception as exc:  # noqa: BLE001 - re-raised to each caller
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    # -- task and loss ----------------------------------------------------------------------
    @property
    def task(self) -> str:
        """``classification`` or ``regression``: as given, else from the loss (MSELoss, L1Loss,
        HuberLoss, SmoothL1Loss mean regression; the cross-entropies classification), else from
        the data: floating-point targets, one per sample, not all 0/1, and one model output per
        sample mean regression."""
        if self._given_task is not None:
            return self._given_task
        return self.cached("task", self._infer_task)

    def _infer_task(self) -> str:
        kind = loss_kind(self._given_loss)
        if kind != "other":
            return "regression" if kind in REGRESSION_KINDS else "classification"
        _, y = self.first
        if not (isinstance(y, torch.Tensor) and y.is_floating_point() and len(y)
                and y.numel() == len(y)):
            return "classification"
        if bool(((y == 0) | (y == 1)).all()):
            return "classification"  # 0/1 floats: a binary target
        try:
            with torch.no_grad(), self.seeded(99):
                pred = self.forward(self.fresh_model().eval(), self.first[0])
        except Exception:  # noqa: BLE001 - a broken forward is reported by the probes that run it
            return "classification"
        return "regression" if pred.numel() == len(pred) else "classification"

    @property
    def is_regression(self) -> bool:
        """Whether the model predicts a number per sample rather than a class."""
        return self.task == "regression"

    @property
    def loss_fn(self) -> Callable:
        """The loss as given, or the default for the task (CrossEntropyLoss, MSELoss)."""
        if self._given_loss is not None:
            return self._given_loss
        return self.cached("loss_fn", lambda: nn.MSELoss() if self.is_regression else nn.CrossEntropyLoss())

    @property
    def loss_kind(self) -> str:
        """``loss_kind`` of the loss in use."""
        return loss_kind(self.loss_fn)

    # -- batches ----------------------------------------------------------------------------
    def _pull(self) -> bool:
        """Read one more batch from the loader into the cache; False when none is left."""
        if self._exhausted or len(self._batches) >= self.max_batches or self._bytes > self.max_cache_bytes:
            return False
        if self._iter is None:
            self._iter = iter(self.loader)
        try:
            raw = next(self._iter)
        except StopIteration:
            self._exhausted = True
            return False
        x, y = split_batch(raw)
        x, y = to_device(x, self.device), to_device(y, self.device)
        if isinstance(x, torch.Tensor):
            self._bytes += x.numel() * x.element_size()
        self._batches.append((x, y))
        return True

    def batches(self, n: int) -> list[tuple[Any, Any]]:
        """The first ``n`` batches of the loader (fewer if it has fewer)."""
        while len(self._batches) < n and self._pull():
            pass
        if not self._batches:
            raise ConfigError("The loader yielded no batch.")
        return self._batches[:n]

    def batch(self, i: int) -> tuple[Any, Any]:
        """Batch ``i`` of a training run: the loader's batches in order, cycled."""
        self.batches(i + 1)
        return self._batches[i % len(self._batches)]

    def n_available(self, want: int) -> int:
        """How many distinct batches exist up to ``want``."""
        return len(self.batches(want))

    def samples(self, n: int, *, start_batch: int = 0) -> tuple[Any, Any]:
        """At least ``min(n, available)`` samples concatenated from consecutive batches, cut to n."""
        xs, ys, count, i = [], [], 0, start_batch
        while count < n:
            if i >= len(self.batches(i + 1)):
                break
            x, y = self._batches[i]
            xs.append(x)
            ys.append(y)
            count += len(y)
            i += 1
        if not xs:
            raise ConfigError("The loader yielded no batch.")
        return torch.cat(xs)[:n], torch.cat(ys)[:n]

    @property
    def first(self) -> tuple[Any, Any]:
        """The first batch."""
        return self.batch(0)

    # -- needs ------------------------------------------------------------------------------
    def unmet(self, need: str) -> str | None:
        """Why the run does not meet a probe's ``need``, or None."""
        if need in ("tensor_input", "float_input"):
            x, _ = self.first
            if not isinstance(x, torch.Tensor) or x.ndim == 0:
                return f"the loader's inputs are a {type(x).__name__}, not one batched tensor"
            if need == "float_input" and not x.is_floating_point():
                return f"the loader's inputs are {x.dtype}, not floating point"
        elif need == "reference_loss":
            # a regression is compared with its targets' variance in squared error, whatever the loss
            if self.loss_kind == "other" and not self.is_regression:
                return (f"no reference value for the loss {type(self.loss_fn).__name__}; "
                        "this probe knows CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, "
                        "MSELoss, L1Loss, HuberLoss and SmoothL1Loss")
        elif need == "target_scale" and self.is_regression:
            return far_target(self)
        elif need == "classification":
            if self.is_regression:
                return "the task is regression; this probe reads class scores"
        elif need == "trainable" and not any(p.requires_grad for p in self.template.parameters()):
            return "the model has no trainable parameter"
        elif need == "valid_targets":
            mismatch = target_mismatch(self)
            if mismatch is not None:
                return f"the loss cannot take the targets: {mismatch.message} (see smoke.loader_batches)"
        return None

    # -- model copies, RNG, autocast --------------------------------------------------------
    def fresh_model(self) -> Any:
        """A new copy of the model as given, on the run's device."""
        return copy.deepcopy(self.template)

    @contextlib.contextmanager
    def seeded(self, offset: int = 0) -> Iterator[None]:
        """Run the block with torch's RNG seeded from ``seed + offset``; restore it after."""
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.seed + offset)
            yield

    def autocast(self) -> Any:
        """Autocast as configured (a no-op unless ``amp``)."""
        dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        return torch.autocast(self.device.type, dtype=dtype, enabled=self.amp)

    def grad_scaler(self) -> Any:
        """A GradScaler, enabled only for float16 autocast on CUDA."""
        return torch.amp.GradScaler(self.device.type, enabled=self.amp and self.device.type == "cuda")

    def rng_state(self) -> tuple[Any, Any]:
        """Torch's CPU and current-device RNG state, to replay a step exactly."""
        cuda = torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None
        return torch.get_rng_state(), cuda

    def set_rng_state(self, state: tuple[Any, Any]) -> None:
        """Restore a state from ``rng_state``."""
        torch.set_rng_state(state[0])
        if state[1] is not None:
            torch.cuda.set_rng_state(state[1], self.device)

    # -- forward, loss, optimizer -----------------------------------------------------------
    def forward(self, model: Any, x: Any) -> Any:
        """The model's prediction tensor for ``x`` (under autocast when configured)."""
        with self.autocast():
            return logits_of(model(x))

    def loss(self, pred: Any, y: Any, loss_fn: Callable | None = None) -> Any:
        """The loss of a prediction, computed in float32."""
        fn = self.loss_fn if loss_fn is None else loss_fn
        return fn(pred.float() if pred.is_floating_point() else pred, y)

    @property
    def n_classes(self) -> int:
        """Number of classes: the class dimension of the prediction (2 for one logit)."""
        def compute() -> int:
            x, _ = self.first
            model = self.fresh_model().eval()
            with torch.no_grad(), self.seeded(99):
                pred = self.forward(model, x)
            if self.loss_kind in ("bce", "bce_logits") or pred.ndim < 2:
                return 2
            return int(pred.shape[1])
        return self.cached("n_classes", compute)

    def param_name(self, param: Any) -> str | None:
        """Name of one of the user's parameters, or None if it is not the model's."""
        return self._names.get(id(param))

    def optimizer_names(self) -> tuple[set[str], int] | None:
        """Names of the model's parameters held by the user's optimizer, and how many of its
        parameters are not the model's; None when no optimizer instance was given."""
        if not isinstance(self.optimizer, torch.optim.Optimizer):
            return None
        held, foreign = set(), 0
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                name = self._names.get(id(p))
                if name is None:
                    foreign += 1
                else:
                    held.add(name)
        return held, foreign

    def configured_lr(self) -> float:
        """The learning rate of the optimizer's first group (the default optimizer's if none)."""
        if isinstance(self.optimizer, torch.optim.Optimizer):
            return float(self.optimizer.param_groups[0]["lr"])
        if self.optimizer is not None:
            opt = self.make_optimizer(self.fresh_model())
            return float(opt.param_groups[0]["lr"]) if opt is not None else DEFAULT_LR
        return DEFAULT_LR

    def make_optimizer(self, model: Any) -> Any:
        """The user's optimizer rebuilt over ``model`` (a copy), or Adam(lr=1e-3).

        Returns None when the user's optimizer holds none of the model's parameters.
        """
        opt = self.optimizer
        if opt is None:
            params = [p for p in model.parameters() if p.requires_grad]
            return torch.optim.Adam(params, lr=DEFAULT_LR) if params else None
        if not isinstance(opt, torch.optim.Optimizer):
            return opt(model.parameters())
        named = dict(model.named_parameters())
        groups = []
        for group in opt.param_groups:
            params = [named[self._names[id(p)]] for p in group["params"] if id(p) in self._names]
            if params:
                groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": params})
        if not groups:
            return None
        try:
            return type(opt)(groups, **opt.defaults)
        except TypeError:
            return type(opt)(groups)


def adam(model: Any, lr: float) -> Any:
    """Plain Adam over the trainable parameters (no weight decay): the probes' own optimizer."""
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)


def train_step(ctx: SmokeContext, model: Any, opt: Any, scaler: Any, x: Any, y: Any,
               loss_fn: Callable | None = None) -> float:
    """One forward/backward/step; returns the loss (NaN-safe float)."""
    opt.zero_grad(set_to_none=True)
    loss = ctx.loss(ctx.forward(model, x), y, loss_fn)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    value = float(loss.detach())
    return value if math.isfinite(value) else float("nan")


def eval_loss(ctx: SmokeContext, model: Any, batches: list[tuple[Any, Any]],
              zero_inputs: bool = False) -> float:
    """Mean loss of ``model`` over ``batches`` in eval mode, weighted by batch size."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in batches:
            if zero_inputs:
                x = torch.zeros_like(x)
            total += float(ctx.loss(ctx.forward(model, x), y)) * len(y)
            count += len(y)
    model.train(was_training)
    return total / max(count, 1)
