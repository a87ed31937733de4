"""The machine description shared by the BENCHMARKS.md renderers (render_kernel_bench.py,
render_train_bench.py). Standard library only."""
import platform


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
