#if canImport(Glibc)
import Glibc
#endif

/// glibc malloc settings for a long-running edge process.
public enum MallocTuning {
    /// Limits glibc to `arenas` malloc arenas (glibc's default is 8 per core). Each arena keeps freed
    /// memory for reuse, so a process whose NIO, thread-pool and Swift-concurrency threads all allocate
    /// grew to ~220 MiB RSS under ingest load; with 2 arenas it stayed at ~135 MiB at the same
    /// throughput (`farmiq-edge bench ingest`, README Performance). `MALLOC_ARENA_MAX`, when set,
    /// wins. Call it first thing in `main`. No-op off glibc.
    public static func limitArenas(to arenas: Int32 = 2) {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil else { return }
        // mallopt is not in Swift's Glibc module; M_ARENA_MAX is -8 in <malloc.h>.
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: MallOpt.self)(-8, arenas)
        #endif
    }
}
