"""Out-of-fold models shared by checks: features per modality, model choice, K-fold.

``out_of_fold(ctx)`` computes the out-of-fold predicted probabilities once per profile and
caches them on the context; ``estimate_noise`` (confident learning) and ``relation``
(cross-validated skill with a permutation test) read them. ``second_opinion`` adds a second
model family (gradient boosting on screened, unreduced features), computed only where a
claim needs it. A regression target has its own out-of-fold predictions
(``regression_out_of_fold``: ridge regression and gradient boosting), permutation test
(``regression_relation``) and robust residuals (``target_noise``).
"""

# The libraries the models import where they are used, first needed first: ``api.profile``
# imports them in a background thread while the data is read (``scan.parallel``'s
# ``import_in_background``). SciPy comes with scikit-learn.
LIBRARIES = ("sklearn.linear_model", "sklearn.model_selection", "sklearn.decomposition", "sklearn.ensemble",
             "sklearn.neighbors", "sklearn.kernel_approximation", "sklearn.pipeline", "sklearn.feature_selection",
             "sklearn.metrics")

from datacheck.models.noise import NoiseEstimate, PairNoise, estimate_noise
from datacheck.models.oof import (NOISE_MODELS, OutOfFold, oof_skip_reason, out_of_fold, second_opinion,
                                  validate_options)
from datacheck.models.permutation import Relation, relation, split_relation
from datacheck.models.regression import (RegressionOutOfFold, RegressionRelation, regression_out_of_fold,
                                         regression_relation)
from datacheck.models.residuals import TargetNoise, target_noise

__all__ = ["LIBRARIES", "NOISE_MODELS", "NoiseEstimate", "OutOfFold", "PairNoise", "RegressionOutOfFold", "RegressionRelation",
           "Relation", "TargetNoise", "estimate_noise", "oof_skip_reason", "out_of_fold", "regression_out_of_fold",
           "regression_relation", "relation", "second_opinion", "split_relation", "target_noise", "validate_options"]
