"""Tools for working in this repository: `dlsys test`, `demo`, `doctor`, and the native-module list."""
