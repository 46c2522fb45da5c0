{
  "targets": [
    {
      "target_name": "rotortree_mmap",
      "sources": ["src/mmap.c"],
      "cflags_c": ["-std=gnu11", "-O3", "-Wall", "-Wextra"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=gnu11", "-O3"]
      }
    }
  ]
}
