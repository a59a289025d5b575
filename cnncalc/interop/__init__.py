"""Interpretations of the layer types in other frameworks, registered against the types.

As JAX registers a primitive's rules against the primitive (``batching.primitive_batchers
[conv] = ...``), each module here maps every layer type (the class, never its name) to its
meaning elsewhere: ``pytorch`` to the ``torch.nn`` module that computes the same thing. The
cross-check tests build their PyTorch models from it, and an exporter writes the same
calls as source; nothing branches on type names.
"""
