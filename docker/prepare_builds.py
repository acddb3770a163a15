"""Run at the grader image's build (grader.Dockerfile), as root: configure each handout once.

    python3 prepare_builds.py CONTEXT_FOLDER PREPARED_DIR

CONTEXT_FOLDER holds one folder per configure (autograder/sandbox/image.py's
write_prepared_builds): `hw/`, a handout's CMake files and empty module sources, and
`configure.json`, the harness's configure command at the job's own paths (/work/hw into
/work/build: CMake refuses a cache made for other folders). Each build tree is kept as
PREPARED_DIR/<folder name>, where a job's harness finds it (dlsys_harness/prepared_build.py).
A CUDA configure is skipped where the image has no nvcc. A configure that fails fails the
image build: the handout would not build in a job either.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path


def main(context: Path, prepared: Path) -> None:
    for entry in sorted(path for path in context.iterdir() if path.is_dir()):
        description = json.loads((entry / "configure.json").read_text())
        label = f"{description['handout']} ({'CUDA' if description['cuda'] else 'CPU'})"
        if description["cuda"] and shutil.which("nvcc") is None:
            print(f"prepare_builds: {label}: skipped, no nvcc in this image", flush=True)
            continue
        command = description["command"]
        source, build = Path(command[command.index("-S") + 1]), Path(command[command.index("-B") + 1])
        for folder in (source, build):
            shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(entry / "hw", source)
        print(f"prepare_builds: {label}: {' '.join(command)}", flush=True)
        subprocess.run(command, check=True)
        prepared.mkdir(parents=True, exist_ok=True)
        shutil.move(build, prepared / entry.name)
        shutil.rmtree(source)
    if prepared.exists():  # readable by the job's user, writable by none
        subprocess.run(["chmod", "-R", "a+rX,go-w", str(prepared)], check=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
