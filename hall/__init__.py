"""The hall node: the one owner of the queue (store, engine, policy, config, API)."""
