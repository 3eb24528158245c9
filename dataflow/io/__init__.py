"""Per-model message/prompt adapters, conversation normalisation and image loading."""
