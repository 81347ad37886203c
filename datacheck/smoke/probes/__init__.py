"""The built-in smoke probes, one module each; importing a module registers its probe.

``RUN_ORDER`` is the order they run and are listed in: first what can be read from the
loader and the untrained model, then the short training run and what reads it, then the
probes that train their own copies.
"""

from datacheck.smoke.probes import (
    activations,  # noqa: F401
    batch_independence,  # noqa: F401
    frozen_params,  # noqa: F401
    gradients,  # noqa: F401
    init_loss,  # noqa: F401
    loader_batches,  # noqa: F401
    loss_input,  # noqa: F401
    lr_range,  # noqa: F401
    nan_origin,  # noqa: F401
    overfit_batch,  # noqa: F401
    prime_dims,  # noqa: F401
    train_eval,  # noqa: F401
    update_ratio,  # noqa: F401
    zero_input,  # noqa: F401
)

RUN_ORDER = (
    "smoke.loader_batches", "smoke.loss_input", "smoke.init_loss", "smoke.activations",
    "smoke.train_eval", "smoke.batch_independence", "smoke.prime_dims", "smoke.nan_origin",
    "smoke.gradients", "smoke.frozen_params", "smoke.update_ratio", "smoke.overfit_batch",
    "smoke.zero_input", "smoke.lr_range",
)
