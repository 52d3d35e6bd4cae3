"""The use cases: sync (read, merge, plan, write, report), render, export, list, inspect and
init, with the run lock, the nothing-changed fast path and the outcome -> exit status mapping."""
