"""MultiCodex benchmarks: every figure is a ratio or a difference against a baseline
measured in the same run, on the same machine, against the emulator on 127.0.0.1."""
