print("burrow-bench: see BENCHMARKS.md")
