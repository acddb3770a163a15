"""Course authoring: manifests, solution regions, snapshots kept in step, and handout releases."""
