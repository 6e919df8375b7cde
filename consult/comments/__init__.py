"""Comments on published contributions, with one level of replies."""
