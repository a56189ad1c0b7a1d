/// Why a configuration file was rejected; every case names the offending key or position.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The TOML itself is malformed.
    case syntax(line: Int, column: Int, message: String)
    /// A key the service does not know (usually a typo); settings are never silently ignored.
    case unknownKey(String)
    /// A key holds a value of the wrong TOML type.
    case wrongType(key: String, expected: String)
    /// A key holds a value of the right type that is out of range or unparsable.
    case badValue(key: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read config \(path): \(reason)"
        case let .syntax(line, column, message): "config syntax error at line \(line), column \(column): \(message)"
        case let .unknownKey(key): "unknown config key '\(key)'"
        case let .wrongType(key, expected): "config key '\(key)' must be \(expected)"
        case let .badValue(key, reason): "bad value for config key '\(key)': \(reason)"
        }
    }
}
