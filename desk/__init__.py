"""The desk's work on tickets: actions (reassign, undo), the lifecycle, deadlines, the alerts'
outbox.
"""
