{
  "targets": [
    {
      "target_name": "rotortree_mmap",
      "sources": ["src/mmap.c", "src/untracked.cc"],
      "cflags_c": ["-std=gnu11", "-O3", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=gnu++17", "-O3", "-Wall", "-Wextra"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=gnu11", "-O3"],
        "OTHER_CPLUSPLUSFLAGS": ["-std=gnu++17", "-O3"]
      }
    }
  ]
}
