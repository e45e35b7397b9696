"""`python -m bench`: how fast every page and query is at city scale, against the usual way."""
