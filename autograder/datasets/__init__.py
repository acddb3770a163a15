"""The course's data sets: where they come from (`dlsys data fetch`) and the file formats they use."""
