"""examples/irwe.py: the classification protocol is nested cross-validation,
the same for every feature set, with C chosen on the outer training folds
only."""
import importlib
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.conftest import REPO


@pytest.fixture(scope="module")
def example():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO / "examples"))
        yield importlib.import_module("irwe")


def toy_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 30)
    x = rng.normal(size=(90, 6))
    x[:, 0] += 0.8 * y  # one informative column, five noise columns
    return x, y


def reference_nested_cv(x, y, seed, grid, outer_folds=5, inner_folds=5):
    """Written out loop by loop: for each outer split, pick C by the mean
    inner micro-F1 on the outer training part (first best wins), refit
    there, score the outer test part."""
    scores, chosen = [], []
    outer = StratifiedKFold(outer_folds, shuffle=True, random_state=seed)
    for train, test in outer.split(x, y):
        inner = StratifiedKFold(inner_folds, shuffle=True, random_state=seed)
        means = []
        for c in grid:
            inner_scores = []
            for fit, val in inner.split(x[train], y[train]):
                model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
                model.fit(x[train][fit], y[train][fit])
                inner_scores.append(f1_score(y[train][val], model.predict(x[train][val]), average="micro"))
            means.append(np.mean(inner_scores))
        best = grid[int(np.argmax(means))]
        model = make_pipeline(StandardScaler(), LogisticRegression(C=best, max_iter=1000)).fit(x[train], y[train])
        scores.append(f1_score(y[test], model.predict(x[test]), average="micro"))
        chosen.append(float(best))
    return np.array(scores), chosen


def test_micro_f1_cv_is_nested_cv(example):
    x, y = toy_problem()
    result = example.micro_f1_cv(x, y, seed=3)
    scores, chosen = reference_nested_cv(x, y, 3, example.C_GRID)
    np.testing.assert_allclose(result["folds"], scores)
    assert result["chosen_C"] == pytest.approx(chosen)
    assert result["mean"] == pytest.approx(scores.mean())
    assert set(result["chosen_C"]) <= set(example.C_GRID.tolist())


def test_outer_test_fold_does_not_influence_c(example):
    x, y = toy_problem(1)
    before = example.micro_f1_cv(x, y, seed=0)
    # The folds depend on the labels only, so corrupting the features of the
    # first outer test fold keeps the folds and must keep that fold's C.
    train, test = next(StratifiedKFold(5, shuffle=True, random_state=0).split(x, y))
    corrupted = x.copy()
    corrupted[test] = np.random.default_rng(5).normal(scale=50.0, size=corrupted[test].shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        after = example.micro_f1_cv(corrupted, y, seed=0)
    assert after["chosen_C"][0] == before["chosen_C"][0]


def test_protocol_is_recorded(example):
    protocol = example.PROTOCOL
    assert protocol["C_grid"] == pytest.approx(example.C_GRID.tolist())
    assert protocol["inner_folds"] == example.INNER_FOLDS == 5
    assert "GridSearchCV" in protocol["classifier"]
