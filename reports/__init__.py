"""Documents made from the figures: the weekly meeting's pack (PDF)."""
