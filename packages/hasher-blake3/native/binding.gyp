{
  "targets": [
    {
      "target_name": "rotortree_blake3",
      "sources": [
        "src/binding.c",
        "src/b3.c",
        "src/b3_one.c",
        "src/b3_path.c",
        "src/b3_climb.c",
        "src/b3_sse41.c",
        "src/b3_avx2.c",
        "src/b3_avx512.c"
      ],
      "cflags_c": ["-std=c11", "-O3", "-Wall", "-Wextra", "-fno-strict-aliasing"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-O3"]
      }
    }
  ]
}
