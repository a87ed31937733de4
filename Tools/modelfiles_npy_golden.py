#!/usr/bin/env python3
"""numpy-written .npy fixtures for Tests/ModelFilesTests (NPYWriter must reproduce
them byte for byte): a 2x3 and a 1-D f32 array saved with numpy.save.

Run: .venv-tools/bin/python Tools/modelfiles_npy_golden.py
"""
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests", "ModelFilesTests", "Fixtures")
np.save(os.path.join(FIX, "numpy-2x3.npy"), np.array([[1, -2.5, 3], [0.25, 1e-3, -7]], dtype="<f4"))
np.save(os.path.join(FIX, "numpy-5.npy"), np.arange(5, dtype="<f4") / 4)
print("wrote numpy-2x3.npy and numpy-5.npy")
