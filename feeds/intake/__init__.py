"""Intake from social networks: find complaints in posts, route them, reject the improper.

`words` turns text into word forms, `rules` reads the staff-editable rules file, `obscene` holds the
word list of obscene language, `classify` decides what a message is, `places` finds where it is,
`pipeline` writes tickets and reports, `metrics` measures decisions against a labelled set.
"""
