"""Agree / disagree / pass on published contributions, with exact denormalised counters."""
