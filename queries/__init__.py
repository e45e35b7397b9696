"""Every read the dashboard makes: functions of (connection, filters) that return data.

No Streamlit here and no caching: the page layer decides what to cache and for how long.
"""
