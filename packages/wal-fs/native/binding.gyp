{
  "targets": [
    {
      "target_name": "rotortree_wal",
      "sources": ["src/binding.c", "src/crc32c.c", "src/record_walk.c", "src/record_seal.c", "src/writeback.c", "src/napi_args.c"],
      "cflags_c": ["-std=c11", "-O3", "-Wall", "-Wextra", "-fno-strict-aliasing"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-O3"]
      }
    }
  ]
}
