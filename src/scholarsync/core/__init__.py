"""Pure work on publication data: normalize, LaTeX, match, merge, the library and its diff.
No network, no site knowledge: what the sources mean comes in as
:class:`scholarsync.model.Rules`."""
