"""Customer cards, contact records and tiers."""
