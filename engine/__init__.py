"""carepay: a rules-as-configuration compensation engine for Swedish home care.

The pipeline is load -> parse -> check -> plan -> evaluate -> report; `engine.api`
is the public Python entry point and `engine.cli` the command line.
"""

__version__ = "0.1.0"
