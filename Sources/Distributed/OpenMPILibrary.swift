// libmpi loaded at run time (dlopen), never linked: `hdrec` and `hdrec-server` start on
// machines without Open MPI, and only a process that mpirun started loads it.
//
// Open MPI's ABI, not MPI's: the MPI standard fixes the C API but not the ABI, and Open MPI
// defines its handles as addresses of global objects in libmpi (MPI_COMM_WORLD is
// `&ompi_mpi_comm_world`). So MPI_COMM_WORLD is dlsym("ompi_mpi_comm_world"), MPI_FLOAT is
// dlsym("ompi_mpi_float") and MPI_SUM is dlsym("ompi_mpi_op_sum"); the names were checked
// with `nm -D` on Debian 12's libmpi.so.40 (Open MPI 4.1.4), the only version tested. MPICH
// names its handles with integer constants instead, so this file supports Open MPI only.
// We accept that: Debian's default MPI (openmpi-bin, libopenmpi-dev) and the MPI Operator's
// OpenMPI mode are what we deploy on, and binding at run time keeps MPI out of the server.
#if canImport(Glibc)
import Glibc
#endif

/// Function pointers and handles of one loaded libmpi.
struct OpenMPILibrary: @unchecked Sendable {
    // Open MPI's handle types are pointers to its objects; here they are untyped addresses.
    typealias Handle = UnsafeMutableRawPointer

    /// Where to look, in order: HDREC_MPI_LIBRARY, then the soname through the dynamic
    /// loader's search path (ld.so.cache, LD_LIBRARY_PATH), then $OPAL_PREFIX/lib and the
    /// usual install directories of Debian, Ubuntu, Fedora and source builds.
    static func candidatePaths(environment: [String: String]) -> [String] {
        var paths: [String] = []
        if let explicit = environment["HDREC_MPI_LIBRARY"], !explicit.isEmpty { paths.append(explicit) }
        paths.append("libmpi.so.40")
        if let prefix = environment["OPAL_PREFIX"], !prefix.isEmpty { paths.append(prefix + "/lib/libmpi.so.40") }
        paths += [
            "/usr/lib/x86_64-linux-gnu/libmpi.so.40",
            "/usr/lib/aarch64-linux-gnu/libmpi.so.40",
            "/usr/lib64/openmpi/lib/libmpi.so.40",
            "/usr/local/lib/libmpi.so.40",
            "/opt/openmpi/lib/libmpi.so.40",
        ]
        return paths
    }

    let path: String
    // int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
    let initThread: @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    // int MPI_Initialized(int *flag), MPI_Finalized(int *flag)
    let initialized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    let finalized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    // int MPI_Finalize(void)
    let finalize: @convention(c) () -> Int32
    // int MPI_Abort(MPI_Comm comm, int errorcode)
    let abort: @convention(c) (Handle, Int32) -> Int32
    // int MPI_Comm_rank(MPI_Comm, int *), MPI_Comm_size(MPI_Comm, int *)
    let commRank: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let commSize: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    // int MPI_Comm_set_errhandler(MPI_Comm, MPI_Errhandler)
    let commSetErrhandler: @convention(c) (Handle, Handle) -> Int32
    // int MPI_Allreduce(const void *send, void *recv, int count, MPI_Datatype, MPI_Op, MPI_Comm)
    let allreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    // int MPI_Bcast(void *buffer, int count, MPI_Datatype, int root, MPI_Comm)
    let bcast: @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    // int MPI_Barrier(MPI_Comm)
    let barrier: @convention(c) (Handle) -> Int32
    // int MPI_Allgather(const void *send, int sendcount, MPI_Datatype, void *recv, int recvcount, MPI_Datatype, MPI_Comm)
    let allgather: @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    // int MPI_Error_string(int errorcode, char *string, int *resultlen)
    let errorString: @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    // Predefined handles (addresses of Open MPI's global objects).
    let commWorld: Handle
    let float: Handle
    let double: Handle
    let uint64: Handle
    let int64: Handle
    let byte: Handle
    let opSum: Handle
    let opMax: Handle
    let errorsReturn: Handle

    /// MPI_IN_PLACE, which Open MPI defines as the address 1.
    static var inPlace: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }
    /// MPI_SUCCESS.
    static let success: Int32 = 0
    /// MPI_THREAD_SERIALIZED: any thread may call, one at a time.
    static let threadSerialized: Int32 = 2
    /// MPI_MAX_ERROR_STRING in Open MPI 4.1.
    static let maxErrorString = 256

    /// Loads the first candidate that dlopen accepts and resolves every symbol.
    static func load(paths: [String]) throws(DistributedError) -> OpenMPILibrary {
        var attempts: [DistributedError.LibraryAttempt] = []
        for path in paths {
            // RTLD_GLOBAL: Open MPI's components (mca_*.so, dlopened by libmpi itself) resolve
            // libmpi's and libopen-pal's symbols from the global namespace.
            if let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) {
                return try OpenMPILibrary(handle: handle, path: path)
            }
            attempts.append(.init(path: path, reason: dlerror().map { String(cString: $0) } ?? "dlopen failed"))
        }
        throw .libraryNotFound(attempts: attempts)
    }

    private init(handle: UnsafeMutableRawPointer, path: String) throws(DistributedError) {
        func symbol(_ name: String) throws(DistributedError) -> UnsafeMutableRawPointer {
            guard let address = dlsym(handle, name) else { throw .symbolMissing(symbol: name, library: path) }
            return address
        }
        // The stored property's declared type tells `function` what to cast to.
        func function<F>(_ name: String) throws(DistributedError) -> F {
            unsafeBitCast(try symbol(name), to: F.self)
        }
        self.path = path
        initThread = try function("MPI_Init_thread")
        initialized = try function("MPI_Initialized")
        finalized = try function("MPI_Finalized")
        finalize = try function("MPI_Finalize")
        abort = try function("MPI_Abort")
        commRank = try function("MPI_Comm_rank")
        commSize = try function("MPI_Comm_size")
        commSetErrhandler = try function("MPI_Comm_set_errhandler")
        allreduce = try function("MPI_Allreduce")
        bcast = try function("MPI_Bcast")
        barrier = try function("MPI_Barrier")
        allgather = try function("MPI_Allgather")
        errorString = try function("MPI_Error_string")
        commWorld = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        uint64 = try symbol("ompi_mpi_uint64_t")
        int64 = try symbol("ompi_mpi_int64_t")
        byte = try symbol("ompi_mpi_byte")
        opSum = try symbol("ompi_mpi_op_sum")
        opMax = try symbol("ompi_mpi_op_max")
        errorsReturn = try symbol("ompi_mpi_errors_return")
    }

    /// Throws `callFailed` with MPI's text for `code` unless it is MPI_SUCCESS.
    func check(_ code: Int32, _ function: String) throws(DistributedError) {
        guard code != Self.success else { return }
        var text = [CChar](repeating: 0, count: Self.maxErrorString + 1)
        var length: Int32 = 0
        let message = errorString(code, &text, &length) == Self.success
            ? String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : "no text for this code"
        throw .callFailed(function: function, code: code, message: message)
    }
}
