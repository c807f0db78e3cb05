"""Step configs (typed, validated) and the registry of who serves which step."""
