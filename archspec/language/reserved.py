"""Names no item may take, because the built model holds every item as an attribute of its parent
module: the attributes every PyTorch module has (as of torch 2.13; tests/language/test_reserved.py
checks the list against the torch installed), and those archspec's models add. At the top level
`head` is also the name of the `head:` section's module."""
from __future__ import annotations

MODULE_ATTRIBUTES = frozenset("""
    T_destination __annotations__ __call__ __class__ __delattr__ __dict__ __dir__ __doc__ __eq__
    __format__ __ge__ __getattr__ __getattribute__ __getstate__ __gt__ __hash__ __init__
    __init_subclass__ __le__ __lt__ __module__ __ne__ __new__ __reduce__ __reduce_ex__ __repr__
    __setattr__ __setstate__ __sizeof__ __str__ __subclasshook__ __weakref__ _apply _backward_hooks
    _backward_pre_hooks _buffers _call_impl _compiled_call_impl _forward_hooks
    _forward_hooks_always_called _forward_hooks_with_kwargs _forward_pre_hooks
    _forward_pre_hooks_with_kwargs _get_backward_hooks _get_backward_pre_hooks _get_name
    _is_full_backward_hook _load_from_state_dict _load_state_dict_post_hooks _load_state_dict_pre_hooks
    _maybe_warn_non_full_backward_hook _modules _named_members _non_persistent_buffers_set _parameters
    _register_load_state_dict_pre_hook _register_state_dict_hook _replicate_for_data_parallel
    _save_to_state_dict _slow_forward _state_dict_hooks _state_dict_pre_hooks _version
    _wrapped_call_impl add_module apply bfloat16 buffers call_super_init children compile cpu cuda
    double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter
    get_submodule half ipu load_state_dict modules mtia named_buffers named_children named_modules
    named_parameters parameters register_backward_hook register_buffer register_forward_hook
    register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
    set_extra_state set_submodule share_memory state_dict to to_empty train training type xpu zero_grad
""".split())

MODEL_ATTRIBUTES = frozenset((
    "spec_name", "spec_hash", "spec_params", "input_shape", "num_classes", "feature_info", "forward_features", "forward_head",
    "forward_eval", "forward_train", "get_classifier", "reset_classifier", "_classifier",
    "_pre_logits_features", "_archspec_source", "_archspec_ir", "optimized", "optimize_report",
))

RESERVED_NAMES = MODULE_ATTRIBUTES | MODEL_ATTRIBUTES


def reserved_name(name: str, top_level: bool) -> str | None:
    """Why an item may not be named `name` (None when it may)."""
    if name in RESERVED_NAMES or name.startswith("__"):  # torch patches dunder-prefixed internals in at run time
        return f"'{name}' is an attribute every PyTorch module (or archspec model) has"
    if top_level and name == "head":
        return "'head' at the top level is the name of the `head:` section"
    return None
