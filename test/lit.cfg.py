# lit configuration for gemmac's IR-level tests (dialect, importer, passes).
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "gemmac"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.gemmac_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "e2e", "Inputs", "support"]

config.substitutions.append(("%reference", config.gemmac_reference_dir))
# The FlatBuffers compiler the build uses, to rewrite model files (test/Inputs/craft_gmf.py).
config.substitutions.append(("%flatc", config.flatc))

# Tests that build and run code for an x86-64 target need a host that runs it.
import platform
if platform.machine() in ("x86_64", "AMD64"):
    config.available_features.add("x86_64-host")
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    except OSError:
        flags = []
    if {"avx2", "fma", "f16c"} <= set(flags):
        config.available_features.add("x86_64-avx2-host")
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= set(flags):
        config.available_features.add("x86_64-avx512-host")

# The aarch64 runtime (a cross build, GEMMAC_AARCH64_BUILD_DIR) under qemu:
# %aarch64 PROGRAM runs one of its programs (`%aarch64 -cpu cortex-a53 ...`
# picks another CPU model). These tests carry the label qemu (test/qemu/).
aarch64_dir = config.gemmac_aarch64_build_dir
if aarch64_dir and os.path.exists(os.path.join(aarch64_dir, "bin", "run-emulated")):
    config.available_features.add("qemu-aarch64")
    config.substitutions.append(("%aarch64-bin", os.path.join(aarch64_dir, "bin")))
    config.substitutions.append(("%aarch64-lib", os.path.join(aarch64_dir, "runtime", "src")))
    config.substitutions.append(("%aarch64", os.path.join(aarch64_dir, "bin", "run-emulated")))

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()
llvm_config.add_tool_substitutions(
    ["gemmac", "gemmac-opt", "gemmac-run"], [config.gemmac_tools_dir])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
