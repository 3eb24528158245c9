"""Looking at and shipping a run's output: figures, an HTML report, exports for trainers."""
