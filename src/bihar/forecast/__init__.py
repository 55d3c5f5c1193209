"""Temperature forecasting service: weather store, models, registry, predictions, API queries."""
