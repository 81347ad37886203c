"""Benchmark: the whole smoke run on a panel of healthy models, and on planted defects.

The panel (``tests/smoke/panel.py``): an MLP, a small CNN, a BatchNorm CNN, torchvision's
resnet18 (3x32x32 input) and one transformer block, all with PyTorch's default
initialisation and Adam or SGD, on scikit-learn digits; and a 10-64-1 MLP with MSELoss and
Adam at 1e-3 on scikit-learn's diabetes, its target raw (25..346) and standardized, seeds 0-2.
Target: no warning and no error on any of them. The classification defects: labels 1..10 for
10 outputs (target: one error, no probe errored), a frozen layer that keeps its random initial
weights (target: a warning), and a frozen layer with trained ("pretrained") weights under a
fresh head (target: info only). The regression defects (target: one error or warning each):
a loader over target-sorted rows without shuffling, one NaN target, targets of shape (N,)
against predictions of shape (N, 1), a ReLU after the output layer on a standardized target,
a price-like target (x1000 + 200,000) fed raw, and targets shuffled apart from their inputs.

For each run it prints every probe's status and its findings with their severities, then a
summary line per model: warnings, errors, probes errored, wall time.

    python benchmarks/smoke_panel.py [--root PATH] [--steps N] [--only regression,mlp_raw] [--threads N]

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


def _regression(panel, zoo):
    """The healthy regression panel (three seeds each) and its planted defects:
    name -> (model, loader, optimizer, loss)."""
    import torch

    mse = torch.nn.MSELoss()
    runs = {}
    for name in panel.REGRESSION_PANEL:
        for seed in range(3):
            runs[f"{name} s{seed}"] = lambda name=name, seed=seed: (*panel.regression_setup(name, seed=seed), mse)

    def planted(targets, *, standardized=False, shuffle=True, relu=False):
        def build():
            x, y = zoo.diabetes(standardize_target=standardized)
            model, _, opt = panel.regression_setup("mlp_standardized_target" if standardized else "mlp_raw_target")
            if relu:
                model = torch.nn.Sequential(model, torch.nn.ReLU())
                opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            xs, ys = targets(x, y)
            loader = zoo.loader(xs, ys) if shuffle else zoo.sorted_loader(xs, ys)
            return model, loader, opt, mse
        return build

    def nan(x, y):
        y = y.clone()
        y[7] = float("nan")
        return x, y

    runs.update({
        "regression: sorted target": planted(lambda x, y: (x, y), shuffle=False),
        "regression: one NaN target": planted(nan, standardized=True),
        "regression: targets (N,)": planted(lambda x, y: (x, y[:, 0]), standardized=True),
        "regression: ReLU output": planted(lambda x, y: (x, y), standardized=True, relu=True),
        "regression: price-like target": planted(lambda x, y: (x, y * 1000 + 2e5)),
        "regression: targets shuffled apart": planted(lambda x, y: (x, zoo.shuffled_labels(y))),
    })
    return runs


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
    parser.add_argument("--only", default="", help="comma-separated parts of run names (default all)")
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
    runs.update(_regression(panel, zoo))
    only = [s for s in args.only.split(",") if s]
    print(f"datacheck from {args.root}; torch {torch.__version__}; {args.threads} thread(s); steps {steps}")
    summary = []
    for name, build in runs.items():
        if only and not any(o in name for o in only):
            continue
        model, loader, opt, *loss = build()
        start = time.perf_counter()
        report = smoke(model, loader, *loss, optimizer=opt, steps=steps, device="cpu", threads=args.threads)
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
    print(f"\n{'run':34s} {'warnings':>8s} {'errors':>6s} {'errored':>7s} {'wall s':>7s}")
    for name, n_warn, n_err, n_errored, wall in summary:
        print(f"{name:34s} {n_warn:8d} {n_err:6d} {n_errored:7d} {wall:7.1f}")


if __name__ == "__main__":
    main()
