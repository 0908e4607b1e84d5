"""The coding state machine: keys become contributions in the session store, with undo, redo and the clock."""
