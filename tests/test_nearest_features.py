"""The nearest answer's features joined from compact columns say what the list endpoint's features say."""

from __future__ import annotations

import numpy as np

from geo_layers import facilities
from geo_service import vocab


def test_joined_amenities_are_the_serialised_properties_for_random_lists() -> None:
    rng = np.random.default_rng(3)
    codes = list(vocab.AMENITIES)
    for size in [0, 1, len(codes), *rng.integers(0, len(codes) + 1, 200).tolist()]:
        chosen = [codes[i] for i in rng.permutation(len(codes))[:size]]  # any order: the stored one is kept
        numbers = bytes(codes.index(code) for code in chosen)
        expected = facilities._members(facilities._amenity_properties(chosen))
        assert facilities._amenities_json(numbers) == expected, chosen
