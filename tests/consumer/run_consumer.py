#!/usr/bin/env python3
"""Builds and runs a user's project that consumes ctgrad, the way a user would.

usage: run_consumer.py KIND SOURCE_ROOT WORK_DIR CXX [MESON]

KIND is one of
  meson  a Meson project taking ctgrad as a subproject (subprojects/ctgrad -> SOURCE_ROOT,
         forced fallback, `dependency('ctgrad')`)
  make   a Makefile using `pkg-config ctgrad` against a copy installed into WORK_DIR/prefix
  cmake  a CMake project using find_package(ctgrad) against the same kind of copy
Each project builds tests/consumer/poisson_regression.cpp (a model of its own, trained with
ctgrad's trainer) and runs it; the program checks its result. When MPI is installed each also
builds it against ctgrad's MPI component (Meson's ctgrad-mpi, pkg-config's ctgrad-mpi, CMake's
COMPONENTS mpi) and runs that as a single MPI process.
"""
import os
import shutil
import subprocess
import sys


def run(command, cwd=None, env=None):
    print("+", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        sys.exit(f"run_consumer: `{' '.join(command)}` failed with status {result.returncode}")
    return result.stdout


def install_ctgrad(meson, source_root, work):
    build, prefix = os.path.join(work, "ctgrad-build"), os.path.join(work, "prefix")
    run([meson, "setup", build, source_root, "--prefix", prefix,
         "-Dtests=false", "-Dexamples=false", "-Dbenchmarks=false"])
    run([meson, "install", "-C", build, "--quiet"])
    return prefix


def main(kind, source_root, work, cxx, meson="meson"):
    source_root, work = os.path.abspath(source_root), os.path.abspath(work)
    shutil.rmtree(work, ignore_errors=True)
    project = os.path.join(work, "project")
    consumer = os.path.join(source_root, "tests", "consumer")
    shutil.copytree(os.path.join(consumer, kind), project)
    shutil.copy(os.path.join(consumer, "poisson_regression.cpp"), project)
    env = dict(os.environ, CXX=cxx)
    compiler = shutil.which(cxx) or cxx

    if kind == "meson":
        os.makedirs(os.path.join(project, "subprojects"))
        os.symlink(source_root, os.path.join(project, "subprojects", "ctgrad"))
        build = os.path.join(project, "build")
        run([meson, "setup", build, project, "--wrap-mode=forcefallback"], env=env)
        run([meson, "compile", "-C", build], env=env)
        program = os.path.join(build, "poisson_regression")
    elif kind == "make":
        prefix = install_ctgrad(meson, source_root, work)
        env["PKG_CONFIG_PATH"] = os.path.join(prefix, "share", "pkgconfig")
        run(["make", "-C", project], env=env)
        program = os.path.join(project, "poisson_regression")
    elif kind == "cmake":
        prefix = install_ctgrad(meson, source_root, work)
        build = os.path.join(project, "build")
        run(["cmake", "-S", project, "-B", build, "-DCMAKE_PREFIX_PATH=" + prefix,
             "-DCMAKE_CXX_COMPILER=" + compiler, "-DCMAKE_BUILD_TYPE=Release"], env=env)
        run(["cmake", "--build", build], env=env)
        program = os.path.join(build, "poisson_regression")
    else:
        sys.exit(f"run_consumer: unknown kind {kind!r}")

    run([program])
    # Built when MPI is installed; run as a single process, without mpirun (MPI's singleton).
    if os.path.exists(program + "_mpi"):
        run([program + "_mpi"])
    print(f"run_consumer: {kind} consumer ok" + (" (and its MPI build)" if os.path.exists(program + "_mpi") else ""))


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
