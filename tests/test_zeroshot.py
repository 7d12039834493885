"""FLAML's zero-shot configuration (tuning/zeroshot.py): our names, the study's parameters only, and a plain
message without flaml."""

from __future__ import annotations

import sys

import pytest

from tuning import zeroshot
from tuning.config import StudyConfig
from tuning.study import Study


@pytest.fixture
def study(store, add_sample):
    ds = add_sample("breast_cancer.csv")
    return lambda model: Study.create(store, StudyConfig(dataset_id=ds, target="diagnosis", model=model, cv=3))


@pytest.mark.skipif(not zeroshot.available(), reason="flaml is not installed")
def test_xgboost_gets_a_configuration_in_the_studys_own_names(store, study):
    s = study("xgboost")
    guess, why = zeroshot.suggest(store, s.config, dataset_id=s.config.dataset_id, table=s.table)
    assert why is None and guess
    assert set(guess) <= set(s.config.space.names) and "max_depth" in guess and "learning_rate" in guess
    assert all(isinstance(v, (int, float)) for v in guess.values())


def test_a_family_flaml_has_no_portfolio_for_gets_nothing_and_no_message(store, study):
    s = study("knn")
    assert zeroshot.suggest(store, s.config, dataset_id=s.config.dataset_id) == (None, None)


def test_without_flaml_the_message_names_the_package(store, study, monkeypatch):
    monkeypatch.setitem(sys.modules, "flaml.default", None)  # import flaml.default now raises ImportError
    assert not zeroshot.available()
    s = study("xgboost")
    guess, why = zeroshot.suggest(store, s.config, dataset_id=s.config.dataset_id)
    assert guess is None and "pip install flaml" in why
