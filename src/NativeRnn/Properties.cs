// Kernels use stack buffers that they fill before reading; zeroing them first is wasted time.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
