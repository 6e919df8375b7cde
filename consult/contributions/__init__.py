"""Citizen contributions: submission, editing by the author, statuses, lists."""
