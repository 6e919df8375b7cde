"""Reports of contributions and comments; enough of them hide the content pending review."""
