import CZooKeeper

// The C side of ZooKeeperCoordination: completion contexts, trampolines and code mapping.
// C callbacks run on the client's completion thread; they copy what they need (the C strings
// and buffers live only during the callback) and forward to a Swift closure.

/// A completion waiting for one C callback: retained when the call is issued, released by the
/// trampoline that runs it (or by the issuer when the call fails synchronously).
final class ZooKeeperReply<Payload>: Sendable {
    let body: @Sendable (Int32, Payload) -> Void

    init(_ body: @escaping @Sendable (Int32, Payload) -> Void) { self.body = body }

    /// The context pointer handed to C; owns one retain until `run` or `cancel`.
    func retainedPointer() -> UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passRetained(self).toOpaque()) }

    static func run(_ context: UnsafeRawPointer?, _ rc: Int32, _ payload: Payload) {
        Unmanaged<ZooKeeperReply>.fromOpaque(context!).takeRetainedValue().body(rc, payload)
    }

    static func cancel(_ context: UnsafeRawPointer) {
        Unmanaged<ZooKeeperReply>.fromOpaque(context).release()
    }
}

/// Which handle a global watcher call belongs to: the client and the handle's generation.
/// Retained once per handle; released after `zookeeper_close` of that handle returned.
final class ZooKeeperHandleContext: Sendable {
    let client: ZooKeeperCoordination
    let generation: UInt64

    init(client: ZooKeeperCoordination, generation: UInt64) {
        self.client = client
        self.generation = generation
    }
}

enum ZooKeeperC {
    static let stringCompletion: string_completion_t = { rc, value, context in
        ZooKeeperReply<String?>.run(context, rc, value.map { String(cString: $0) })
    }

    static let dataCompletion: data_completion_t = { rc, value, length, stat, context in
        var bytes: [UInt8] = []
        if let value, length > 0 {
            bytes = Array(UnsafeRawBufferPointer(start: value, count: Int(length)))
        }
        ZooKeeperReply<([UInt8], NodeStat?)>.run(context, rc, (bytes, stat.map { NodeStat($0.pointee) }))
    }

    static let statCompletion: stat_completion_t = { rc, stat, context in
        ZooKeeperReply<NodeStat?>.run(context, rc, stat.map { NodeStat($0.pointee) })
    }

    static let voidCompletion: void_completion_t = { rc, context in
        ZooKeeperReply<Void>.run(context, rc, ())
    }

    static let stringsCompletion: strings_completion_t = { rc, strings, context in
        var names: [String] = []
        if let vector = strings?.pointee, let data = vector.data {
            for index in 0..<Int(vector.count) {
                if let name = data[index] { names.append(String(cString: name)) }
            }
        }
        ZooKeeperReply<[String]>.run(context, rc, names)
    }

    /// The one global watcher of every handle: session events and all watch events.
    static let watcher: watcher_fn = { _, type, state, path, context in
        guard let context else { return }
        let handle = Unmanaged<ZooKeeperHandleContext>.fromOpaque(context).takeUnretainedValue()
        handle.client.didReceiveEvent(
            generation: handle.generation, type: type, state: state, path: path.map { String(cString: $0) } ?? "")
    }

    /// A watcher that ignores everything, for the throwaway handle of the expiry test hook.
    static let ignoringWatcher: watcher_fn = { _, _, _, _, _ in }

    /// Calls `body` with a C pointer to `data` (never null, as ZooKeeper reads null as "no data").
    static func withBytes<T>(_ data: [UInt8], _ body: (UnsafePointer<CChar>, Int32) -> T) -> T {
        if data.isEmpty {
            var zero: CChar = 0
            return body(&zero, 0)
        }
        return data.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        }
    }

    /// ZooKeeper's create flags for a mode.
    static func flags(_ mode: CreateMode) -> Int32 {
        (mode.contains(.ephemeral) ? ZOO_EPHEMERAL : 0) | (mode.contains(.sequential) ? ZOO_SEQUENCE : 0)
    }

    /// Maps a ZooKeeper return code (not ZOK) to the module's error, naming the caller's path.
    static func error(_ rc: Int32, path: String) -> CoordinationError {
        switch rc {
        case ZNONODE.rawValue: return .noNode(path: path)
        case ZNODEEXISTS.rawValue: return .nodeExists(path: path)
        case ZBADVERSION.rawValue: return .badVersion(path: path)
        case ZNOTEMPTY.rawValue: return .notEmpty(path: path)
        case ZNOCHILDRENFOREPHEMERALS.rawValue: return .noChildrenForEphemerals(path: path)
        case ZBADARGUMENTS.rawValue: return .invalidPath(path: path)
        case ZCONNECTIONLOSS.rawValue: return .connectionLoss
        case ZSESSIONEXPIRED.rawValue, ZINVALIDSTATE.rawValue: return .sessionExpired
        case ZOPERATIONTIMEOUT.rawValue: return .timeout
        case ZCLOSING.rawValue: return .closed
        default: return .other(code: rc, message: String(cString: zerror(rc)))
        }
    }
}

extension NodeStat {
    /// Copies the fields this module exposes from ZooKeeper's `Stat`.
    init(_ stat: Stat) {
        self.init(version: stat.version, childVersion: stat.cversion, ephemeralOwner: stat.ephemeralOwner,
                  dataLength: stat.dataLength, childCount: stat.numChildren)
    }
}
