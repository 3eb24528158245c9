"""Model servings. Each backend module imports its engine only when a serving is used."""
