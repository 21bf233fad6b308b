print("tenant-edge")
