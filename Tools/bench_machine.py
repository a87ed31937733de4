"""What the BENCHMARKS.md renderers share (render_kernel_bench.py, render_train_bench.py,
render_sasrec_bench.py): the machine description and the replacement of one "## " section.
Standard library only."""
import os
import platform
import tempfile


def cpu_name():
    """The CPU model from /proc/cpuinfo, else what the platform module reports."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def replace_section(markdown_path, heading, section, before=None):
    """Puts `section` (starting with `heading`, e.g. "## Trainer") in place of the existing section
    of that heading, up to the next "## ". Where there is none yet, it goes before the section
    headed `before` if that exists, else at the end. The file is replaced atomically (temp + rename),
    so an interrupted render never leaves half a BENCHMARKS.md."""
    with open(markdown_path) as f:
        text = f.read()
    start = text.find(heading + "\n")
    if start < 0:
        anchor = text.find(before) if before else -1
        if anchor < 0:
            text = text.rstrip("\n") + "\n\n" + section
        else:
            text = text[:anchor] + section + "\n" + text[anchor:]
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + ("" if end < 0 else text[end:])
    folder = os.path.dirname(os.path.abspath(markdown_path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".benchmarks-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, markdown_path)
    except BaseException:
        os.unlink(tmp)
        raise
