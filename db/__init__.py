"""Schema, engine, migrations, and the code that writes: seed, import, actions."""
