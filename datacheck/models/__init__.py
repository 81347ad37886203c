"""Out-of-fold models shared by checks: features per modality, model choice, K-fold.

``out_of_fold(ctx)`` computes the out-of-fold predicted probabilities once per profile and
caches them on the context; ``estimate_noise`` (confident learning) and ``relation``
(cross-validated skill with a permutation test) read them. ``second_opinion`` adds a second
model family (gradient boosting on screened, unreduced features), computed only where a
claim needs it.
"""

from datacheck.models.noise import NoiseEstimate, PairNoise, estimate_noise
from datacheck.models.oof import (NOISE_MODELS, OutOfFold, oof_skip_reason, out_of_fold, second_opinion,
                                  validate_options)
from datacheck.models.permutation import Relation, relation, split_relation

__all__ = ["NOISE_MODELS", "NoiseEstimate", "OutOfFold", "PairNoise", "Relation", "estimate_noise",
           "oof_skip_reason", "out_of_fold", "relation", "second_opinion", "split_relation", "validate_options"]
