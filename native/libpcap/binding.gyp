{
  "targets": [
    {
      "target_name": "mpcap_libpcap",
      "sources": ["src/binding.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
