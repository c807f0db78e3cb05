"""Step configs: typed, validated plain models (who serves them lives in ``router``)."""
