"""Every zoo card's figures reproduce with the command it prints: the second half of the
zoo (alternate models, so the two files take about as long; see `card_shard`)."""

import pytest

from gan_test_case import card_shard, check_card_reproduces, check_card_usage_runs


@pytest.mark.large
@pytest.mark.parametrize("name", card_shard(1))
def test_model_card_numbers_reproduce_with_the_printed_command(name):
    check_card_reproduces(name)


@pytest.mark.parametrize("name", card_shard(1))
def test_model_card_usage_runs_as_printed(name):
    check_card_usage_runs(name)
