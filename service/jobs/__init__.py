"""Generations: acceptance, the state machine, the runner, limits and estimates."""
