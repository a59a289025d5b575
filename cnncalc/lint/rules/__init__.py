"""The lint rules, one module each: ``ID``, ``SEVERITY``, ``RATIONALE``, a docstring with a
failing and a passing example, and ``check(context)`` yielding ``(loc, message)``, ``loc``
from ``_common.position`` (the layer's own file: an imported module's problem is reported,
and silenced, where the module is written). The linter sets rule id and severity on what a
rule yields and applies suppressions."""

from . import (
    bias_before_batchnorm,
    dominant_layer,
    dropout_probability,
    even_kernel_same_padding,
    head_field_smaller_than_input,
    misaligned_merge,
    padding_not_smaller_than_kernel,
    pool_after_global_pool,
    stride_leaves_input_unused,
    unused_output,
)

RULES = (
    stride_leaves_input_unused,
    padding_not_smaller_than_kernel,
    even_kernel_same_padding,
    pool_after_global_pool,
    bias_before_batchnorm,
    dropout_probability,
    unused_output,
    misaligned_merge,
    head_field_smaller_than_input,
    dominant_layer,
)
