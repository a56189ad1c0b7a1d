import ArgumentParser

/// Says that a declared subcommand has no implementation yet, and fails: never fake behaviour.
struct NotBuiltYet: Error, CustomStringConvertible {
    let command: String
    var description: String { "bfs \(command) is not built yet; see the open issues (`issues`)." }
}

struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proxy", abstract: "Public REST API.")
    @Option(name: .shortAndLong, help: "Config file.") var config: String = "Conf/proxy.toml"
    func run() throws { throw NotBuiltYet(command: "proxy") }
}
