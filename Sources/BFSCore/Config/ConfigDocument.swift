import Glibc
internal import TOMLKit

/// Loads a TOML configuration file strictly: syntax errors carry the position, and `finish()`
/// rejects any key that the settings type did not read.
public enum ConfigDocument {
    /// Parses TOML text and hands back its root table.
    public static func parse(_ text: String) throws(ConfigError) -> ConfigTable {
        do {
            return ConfigTable(table: try TOMLTable(string: text), path: "")
        } catch let e as TOMLParseError {
            throw .syntax(line: e.source.begin.line, column: e.source.begin.column, message: e.description)
        } catch {
            throw .syntax(line: 0, column: 0, message: "\(error)")
        }
    }

    /// Reads and parses a file.
    public static func load(path: String) throws(ConfigError) -> ConfigTable {
        guard let f = fopen(path, "r") else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { bytes += chunk[0..<n] }
            if n < chunk.count { break }
        }
        return try parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Throws `unknownKey` for the first key nobody read (all of them are listed in the message).
    public static func finish(_ root: ConfigTable) throws(ConfigError) {
        let unknown = root.unknownKeys()
        if !unknown.isEmpty { throw .unknownKey(unknown.joined(separator: "', '")) }
    }
}
