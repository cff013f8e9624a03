{
  "targets": [
    {
      "target_name": "papo_direct_write",
      "sources": ["direct_write.c"],
      "cflags": ["-O2"]
    }
  ]
}
