// hdrec-server: the long-running recommendation service (see Service module).
print("hdrec-server: not implemented yet")
