#if canImport(Glibc)
import Glibc
#endif

/// What a process reserves of its address space before it needs it. glibc gives each thread
/// that allocates a malloc arena of its own (64 MiB reserved each) and each new thread a stack
/// of `ulimit -s` (8 MiB). Under an address-space limit (`ulimit -v`) those reservations are
/// what runs out first: allocations took a slow path (a run went five times slower), the
/// supervisor died of one that could not be made, or Dispatch waited for ever for a worker
/// thread it could not create. A supervisor or a peer has one busy thread; one arena and
/// small stacks serve it as well.
public enum AddressSpace {
    /// Call first thing, before any thread starts.
    public static func economize() {
        #if os(Linux)
        _ = mallopt(mArenaMax, 1)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, threadStack)
        _ = pthread_setattr_default_np(&attributes)
        pthread_attr_destroy(&attributes)
        #endif
    }

    /// Ample for the event loop and the store's writer (SQLite asks for far less).
    static let threadStack = 2 << 20

    /// `M_ARENA_MAX` in glibc's <malloc.h>, which Swift's Glibc module does not import.
    private static let mArenaMax: Int32 = -8
}

#if os(Linux)
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

@_silgen_name("pthread_setattr_default_np")
private func pthread_setattr_default_np(_ attributes: UnsafePointer<pthread_attr_t>) -> Int32
#endif
