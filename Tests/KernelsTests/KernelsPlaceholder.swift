// KernelsTests: behaviour tests for the Kernels module live in this folder.
import Testing
