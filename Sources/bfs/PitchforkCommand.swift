import ArgumentParser
import BFSLoop
import BFSPitchfork
import Logging

/// `bfs pitchfork -c Conf/pitchfork.toml`: probes stores until SIGTERM/SIGINT, then leaves.
struct PitchforkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pitchfork", abstract: "Probe stores and publish their status.")

    @Option(name: .shortAndLong, help: "Config file.") var config: String = "Conf/pitchfork.toml"
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel: Logger.Level = .info

    func run() throws {
        bootstrapLogging(level: logLevel)
        let settings: PitchforkSettings
        do { settings = try PitchforkSettings.load(path: config) } catch { throw ValidationError("\(error)") }
        let service = PitchforkService(settings: settings)
        try service.start()
        let signum = try waitForTerminationSignal()
        Logger(label: "bfs.pitchfork").info("signal \(signum): leaving")
        service.stop()
    }
}
