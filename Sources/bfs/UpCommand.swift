import ArgumentParser
import BFSLoop
import BFSUp
import Glibc
import Logging

/// `bfs up`: the single-node all-in-one, ready for uploads in seconds.
struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Single-node all-in-one.")

    @Option(name: .shortAndLong, help: "Config file (default: built-in settings).") var config: String?
    @Option(help: "Data directory (overrides the config).") var data: String?
    @Option(help: "Log level.") var logLevel: Logger.Level = .info

    func run() throws {
        bootstrapLogging(level: logLevel)
        var settings: UpSettings
        do { settings = try UpSettings.load(path: config) } catch { throw ValidationError("\(error)") }
        if let data { settings.dataDir = data }
        let node = try SingleNode(settings: settings)
        let started = try node.start()
        print(UpBanner(settings: settings, started: started, binary: currentExecutablePath()).text)
        fflush(nil)  // the banner must reach a piped log before the process waits
        let signum = try waitForTerminationSignal()
        Logger(label: "bfs.up").info("signal \(signum): draining")
        node.stop()
    }
}
