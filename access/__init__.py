"""Who may sign in and do what: users, sign-in sessions, kiosk links, tokens, permissions.
"""
