"""pip's build of the corekit Python package: CMake builds the _corekit extension (and the
libraries it links), setuptools packages it with python/corekit's files.

COREKIT_CMAKE_BUILD_DIR names an existing CMake build directory to build the extension in
(configured already, e.g. by scripts/test.sh); otherwise a Release build is configured in
build-pip/cmake. Either way only the extension's target is built.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.environ.get("COREKIT_CMAKE_BUILD_DIR")
        if not build:
            build = str(SOURCE / "build-pip" / "cmake")
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.check_call(["cmake", "-S", str(SOURCE), "-B", build, *generator, "-DCMAKE_BUILD_TYPE=Release",
                                   "-DCOREKIT_TESTS=OFF", "-DCOREKIT_BENCH=OFF", "-DCOREKIT_PYTHON=ON",
                                   f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build, "--target", "corekit_python", "-j", str(os.cpu_count() or 2)])
        built = next((Path(build) / "python" / "corekit").glob("_corekit*.so"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(
    packages=["corekit"],
    package_dir={"": "python"},
    package_data={"corekit": ["__init__.pyi", "py.typed"]},
    ext_modules=[CMakeExtension("corekit._corekit")],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build-pip"}, "egg_info": {"egg_base": "build-pip"}},
)
