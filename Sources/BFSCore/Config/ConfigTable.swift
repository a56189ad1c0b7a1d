internal import TOMLKit

/// A typed, strict view of one TOML table: every getter records the key it read, so that after
/// loading, `unknownKeys()` lists whatever the file holds that no setting consumed.
///
/// Getters return the default when the key is absent and throw `ConfigError` naming the dotted
/// key when the value has the wrong type or is out of range.
public final class ConfigTable {
    private let table: TOMLTable?
    /// Dotted path of this table from the document root ("" for the root).
    public let path: String
    private var consumed: Set<String> = []
    private var children: [String: ConfigTable] = [:]

    init(table: TOMLTable?, path: String) {
        self.table = table
        self.path = path
    }

    /// The dotted name of `key` in this table, as error messages show it.
    public func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A nested table (`[name]`); absent tables read as empty, so every setting takes its default.
    public func section(_ name: String) throws(ConfigError) -> ConfigTable {
        if let child = children[name] { return child }
        consumed.insert(name)
        var sub: TOMLTable?
        if let value = table?[name] {
            guard let t = value.table else { throw .wrongType(key: qualified(name), expected: "a table") }
            sub = t
        }
        let child = ConfigTable(table: sub, path: qualified(name))
        children[name] = child
        return child
    }

    /// Whether the file sets `key` at all.
    public func contains(_ key: String) -> Bool { table?[key] != nil }

    private func raw(_ key: String) -> TOMLValueConvertible? {
        consumed.insert(key)
        return table?[key]
    }

    /// A string setting.
    public func string(_ key: String, default value: String) throws(ConfigError) -> String {
        guard let v = raw(key) else { return value }
        guard let s = v.string else { throw .wrongType(key: qualified(key), expected: "a string") }
        return s
    }

    /// An optional string setting (no default).
    public func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let v = raw(key) else { return nil }
        guard let s = v.string else { throw .wrongType(key: qualified(key), expected: "a string") }
        return s
    }

    /// An integer setting within `range`.
    public func int(_ key: String, default value: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws(ConfigError) -> Int {
        guard let v = raw(key) else { return value }
        guard let i = v.int else { throw .wrongType(key: qualified(key), expected: "an integer") }
        guard range.contains(i) else {
            throw .badValue(key: qualified(key), reason: "\(i) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    /// A floating-point setting within `range` (integers are accepted too).
    public func double(_ key: String, default value: Double, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws(ConfigError) -> Double {
        guard let v = raw(key) else { return value }
        guard let d = v.double ?? v.int.map(Double.init) else { throw .wrongType(key: qualified(key), expected: "a number") }
        guard range.contains(d) else { throw .badValue(key: qualified(key), reason: "\(d) is outside \(range)") }
        return d
    }

    /// A boolean setting.
    public func bool(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let v = raw(key) else { return value }
        guard let b = v.bool else { throw .wrongType(key: qualified(key), expected: "true or false") }
        return b
    }

    /// An array-of-strings setting.
    public func strings(_ key: String, default value: [String]) throws(ConfigError) -> [String] {
        guard let v = raw(key) else { return value }
        guard let a = v.array else { throw .wrongType(key: qualified(key), expected: "an array of strings") }
        var out: [String] = []
        for element in a {
            guard let s = element.string else { throw .wrongType(key: qualified(key), expected: "an array of strings") }
            out.append(s)
        }
        return out
    }

    /// A duration written with a unit: `"250ms"`, `"10s"`, `"5m"`, `"1h"` (`"0"` and `"0s"` mean zero).
    public func duration(_ key: String, default value: Duration) throws(ConfigError) -> Duration {
        guard let v = raw(key) else { return value }
        guard let s = v.string else { throw .wrongType(key: qualified(key), expected: "a duration string such as \"10s\"") }
        guard let d = ConfigUnits.parseDuration(s) else {
            throw .badValue(key: qualified(key), reason: "'\(s)' is not a duration (use ms, s, m or h, e.g. \"10s\")")
        }
        return d
    }

    /// A byte size: an integer of bytes, or a string with a unit (`"64KiB"`, `"10MiB"`, `"32GiB"`, `"4096"`).
    public func byteSize(_ key: String, default value: Int64, in range: ClosedRange<Int64> = 0...Int64.max) throws(ConfigError) -> Int64 {
        guard let v = raw(key) else { return value }
        let bytes: Int64
        if let i = v.int {
            bytes = Int64(i)
        } else if let s = v.string, let b = ConfigUnits.parseByteSize(s) {
            bytes = b
        } else {
            throw .badValue(key: qualified(key), reason: "not a byte size (use an integer or e.g. \"10MiB\")")
        }
        guard range.contains(bytes) else {
            throw .badValue(key: qualified(key), reason: "\(bytes) bytes is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return bytes
    }

    /// A `host:port` listen or peer address.
    public func address(_ key: String, default value: HostPort) throws(ConfigError) -> HostPort {
        guard let v = raw(key) else { return value }
        guard let s = v.string else { throw .wrongType(key: qualified(key), expected: "a \"host:port\" string") }
        guard let hp = HostPort(s) else { throw .badValue(key: qualified(key), reason: "'\(s)' is not host:port") }
        return hp
    }

    /// Every key present in the file (dotted, depth first) that no getter or section consumed.
    public func unknownKeys() -> [String] {
        guard let table else { return [] }
        var out: [String] = []
        for key in table.keys.sorted() {
            if !consumed.contains(key) {
                out.append(qualified(key))
            } else if let child = children[key] {
                out += child.unknownKeys()
            }
        }
        return out
    }
}
