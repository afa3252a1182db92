print("relayguard")
