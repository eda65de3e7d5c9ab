"""Domain services: what each role does, as keyword-only functions over a `Runtime` and an `Actor`.

Writes go through `Runtime.submit` (the contract decides what is valid); reads come from the read
model. The API and the CLI are thin layers over these functions.
"""
