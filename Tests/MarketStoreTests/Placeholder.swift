// placeholder until the store's tests are merged
