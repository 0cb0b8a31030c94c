"""Run with `python -I run_ejected.py CASES.json` (tests/exports/test_eject.py): import each ejected file in a
process where archspec cannot be imported, build its network, load the archspec model's state_dict (strict)
and compare keys and eval outputs with the archspec model's. Prints one line per case; exit 1 on a mismatch."""
import importlib
import importlib.abc
import importlib.util
import json
import sys


class _NoArchspec(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "archspec" or name.startswith("archspec."):
            raise ImportError(f"{name} is blocked: an ejected file must not need archspec")
        return None


sys.meta_path.insert(0, _NoArchspec())
try:
    importlib.import_module("archspec")
    sys.exit("archspec is importable: the check would prove nothing")
except ImportError:
    pass

import torch  # noqa: E402

torch.backends.mkldnn.enabled = False  # as the test's own forward: oneDNN's first call of a shape is slow
torch.set_num_threads(1)
failed = False
for case in json.loads(open(sys.argv[1]).read()):
    spec = importlib.util.spec_from_file_location(case["module"], case["file"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = torch.load(case["tensors"], weights_only=True)
    with torch.device("meta"):  # no weights to initialise: all of them are loaded (assign=True)
        model = getattr(module, case["cls"])()
    same_keys = list(model.state_dict()) == list(data["state_dict"])
    model.load_state_dict(data["state_dict"], assign=True)
    model.eval()
    with torch.no_grad():
        got = model(data["input"])
    got = list(got) if isinstance(got, (list, tuple)) else [got]
    diff = max((g - w).abs().max().item() for g, w in zip(got, data["expected"]))
    ok = same_keys and len(got) == len(data["expected"]) and diff <= 1e-6
    failed |= not ok
    print(f"{case['module']}: keys {'same' if same_keys else 'DIFFER'}, {len(got)} outputs, max diff {diff:.3g}")
sys.exit(1 if failed else 0)
