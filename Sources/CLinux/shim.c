// Intentionally empty: CLinux only re-exports headers.
