import ArgumentParser
import BFSLoop
import BFSOps
import Foundation
import Logging

/// `bfs ops -c Conf/ops.toml`: the admin API and web UI until SIGTERM/SIGINT;
/// `bfs ops hash-password`: a hash for `ops.admin_password_hash`.
struct OpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops", abstract: "Admin API and web UI.",
        subcommands: [Serve.self, HashPassword.self], defaultSubcommand: Serve.self)

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the admin API and web UI.")
        @Option(name: .shortAndLong, help: "Config file.") var config: String = "Conf/ops.toml"
        @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel: Logger.Level = .info

        func run() throws {
            bootstrapLogging(level: logLevel)
            let settings: OpsSettings
            do { settings = try OpsSettings.load(path: config) } catch { throw ValidationError("\(error)") }
            let service = OpsService(settings: settings)
            try service.start()
            let signum = try waitForTerminationSignal()
            Logger(label: "bfs.ops").info("signal \(signum): stopping")
            service.stop()
        }
    }

    struct HashPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-password",
            abstract: "Read a password from standard input and print its hash for ops.admin_password_hash.")
        @Option(help: "PBKDF2 rounds.") var rounds: Int = PasswordHash.defaultRounds

        func run() throws {
            guard rounds >= PasswordHash.minimumRounds else { throw ValidationError("--rounds must be at least \(PasswordHash.minimumRounds)") }
            let line = Self.readLineWithoutEcho(prompt: "password: ")
            guard let line, !line.isEmpty else { throw ValidationError("no password on standard input") }
            print(try PasswordHash(password: line, rounds: rounds).encoded)
        }

        /// One line of standard input after `prompt` (on standard error); typed at a terminal, it
        /// is not echoed (echo is off before the prompt shows, and back afterwards). Piped input
        /// is read as it is.
        static func readLineWithoutEcho(prompt: String) -> String? {
            var saved = termios()
            guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &saved) == 0 else {
                FileHandle.standardError.write(Data(prompt.utf8))
                return readLine(strippingNewline: true)
            }
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
            FileHandle.standardError.write(Data(prompt.utf8))
            defer {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            return readLine(strippingNewline: true)
        }
    }
}
