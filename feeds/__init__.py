"""What comes in from outside: exports (the importer and mapping files), the Open311 sync, social-
network intake, and the feeds' health.
"""
