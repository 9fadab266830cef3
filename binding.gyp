{
  "targets": [
    {
      "target_name": "file_locking",
      "sources": [
        "src-native/addon.cc",
        "src-native/confine.cc",
        "src-native/durable_commit.cc",
        "src-native/flock.cc",
        "src-native/record_lock.cc",
        "src-native/flock_here.cc",
        "src-native/open_with_stat.cc",
        "src-native/waiter.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      }
    }
  ]
}
