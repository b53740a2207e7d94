print("market")
