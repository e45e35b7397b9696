"""The demo city: its map, its seed and the simulator that plays it live.
"""
