"""Benchmark: the whole smoke run on a panel of healthy models, and on three planted defects.

The panel (``tests/smoke/panel.py``): an MLP, a small CNN, a BatchNorm CNN, torchvision's
resnet18 (3x32x32 input) and one transformer block, all with PyTorch's default
initialisation and Adam or SGD, on scikit-learn digits. Target: no warning and no error on any
of them. The defects: labels 1..10 for 10 outputs (target: one error, no probe errored),
a frozen layer that keeps its random initial weights (target: a warning), and a frozen layer
with trained ("pretrained") weights under a fresh head (target: info only).

For each run it prints every probe's status and its findings with their severities, then a
summary line per model: warnings, errors, probes errored, wall time.

    python benchmarks/smoke_panel.py [--root PATH] [--steps N] [--only mlp,bn_cnn] [--threads N]

``--root`` imports ``datacheck`` from another checkout (e.g. a ``git worktree`` of an older
commit) to print the "before" figures with the same panel.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _load_panel():
    """``tests/smoke/panel.py`` of this checkout, whatever ``datacheck`` is imported."""
    spec = importlib.util.spec_from_file_location("smoke_panel_models", ROOT / "tests" / "smoke" / "panel.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _defects(panel, zoo, x, y):
    """Planted defects next to the panel: name -> (model, loader, optimizer)."""
    import torch

    def one_based():
        model, _, opt = panel.setup("mlp", x, y)
        return model, zoo.loader(x, y + 1), opt

    def frozen(pretrained: bool):
        model, loader, _ = panel.setup("mlp", x, y)
        if pretrained:  # train first, as a backbone would have been, then put on a fresh head
            opt = torch.optim.Adam(model.parameters(), lr=1e-2)
            for _ in range(3):
                for xb, yb in loader:
                    opt.zero_grad()
                    torch.nn.functional.cross_entropy(model(xb), yb).backward()
                    opt.step()
            model.fc2.reset_parameters()
        model.fc1.requires_grad_(False)
        trainable = [p for p in model.parameters() if p.requires_grad]
        return model, loader, torch.optim.Adam(trainable, lr=1e-3)

    return {"labels 1..10 (one-based)": one_based,
            "frozen random fc1": lambda: frozen(False),
            "frozen trained fc1": lambda: frozen(True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to import datacheck from")
    parser.add_argument("--steps", type=int, default=None, help="default: DEFAULT_STEPS")
    parser.add_argument("--only", default="", help="comma-separated members/defects (default all)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))

    import torch

    from datacheck.smoke import DEFAULT_STEPS, smoke

    panel = _load_panel()
    zoo = panel.zoo
    x, y = zoo.digits()
    steps = args.steps or DEFAULT_STEPS
    runs = {name: (lambda name=name: panel.setup(name, x, y)) for name in panel.PANEL}
    runs.update(_defects(panel, zoo, x, y))
    only = [s for s in args.only.split(",") if s]
    print(f"datacheck from {args.root}; torch {torch.__version__}; {args.threads} thread(s); steps {steps}")
    summary = []
    for name, build in runs.items():
        if only and name not in only:
            continue
        model, loader, opt = build()
        start = time.perf_counter()
        report = smoke(model, loader, optimizer=opt, steps=steps, device="cpu", threads=args.threads)
        wall = time.perf_counter() - start
        print(f"\n== {name} ({wall:.1f} s)")
        for o in report.checks:
            found = [f for f in report.findings if f.check == o.id]
            marks = "; ".join(f"{f.severity.value} {f.code.split('.', 2)[2]}" for f in found)
            print(f"  {o.id:26s} {o.status.value:8s} {o.duration_s:6.2f} s  {marks or (o.reason or '')}")
            for f in found:
                if f.severity.value != "info":
                    print(f"      {f.severity.value}: {f.message}")
        n_warn = sum(f.severity.value == "warning" for f in report.findings)
        n_err = sum(f.severity.value == "error" for f in report.findings)
        n_errored = sum(o.status.value == "errored" for o in report.checks)
        summary.append((name, n_warn, n_err, n_errored, wall))
    print(f"\n{'run':28s} {'warnings':>8s} {'errors':>6s} {'errored':>7s} {'wall s':>7s}")
    for name, n_warn, n_err, n_errored, wall in summary:
        print(f"{name:28s} {n_warn:8d} {n_err:6d} {n_errored:7d} {wall:7.1f}")


if __name__ == "__main__":
    main()
