print("farmiq-edge")
