import CUV

// libuv "inherits" by struct prefix (a uv_tcp_t starts with a uv_stream_t, which starts with a
// uv_handle_t). Swift sees unrelated types, so these casts go through OpaquePointer: the same as
// a C cast, nothing is copied.

@inline(__always)
func asHandle<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutablePointer<uv_handle_t>(OpaquePointer(p))
}

@inline(__always)
func asStream(_ p: UnsafeMutablePointer<uv_tcp_t>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutablePointer<uv_stream_t>(OpaquePointer(p))
}

/// Recovers the Swift owner of a handle from its `data` pointer (set with `passUnretained`).
@inline(__always)
func owner<T: AnyObject>(_ data: UnsafeMutableRawPointer?, as _: T.Type) -> T {
    Unmanaged<T>.fromOpaque(data!).takeUnretainedValue()
}
