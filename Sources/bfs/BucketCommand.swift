import ArgumentParser
import BFSCore
import BFSDirectory
import BFSHTTP
import Foundation

/// `bfs bucket create|list|update|rotate --directory HOST:PORT`: bucket administration on a
/// directory's bucket endpoints; prints the directory's JSON answer.
struct BucketCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bucket", abstract: "Create, list, update buckets and rotate their keys.",
        subcommands: [Create.self, List.self, Update.self, Rotate.self])

    /// Where the directory is and the cluster token to send.
    struct Connection: ParsableArguments {
        @Option(help: "Directory address (HOST:PORT).") var directory: String = "127.0.0.1:6065"
        @Option(help: "Cluster token (default: $BFS_CLUSTER_TOKEN).") var token: String?

        func client() throws -> BucketAdminClient {
            guard let address = HostPort(directory), address.port > 0 else { throw ValidationError("bad --directory \(directory)") }
            let token = token ?? ProcessInfo.processInfo.environment["BFS_CLUSTER_TOKEN"] ?? ""
            return try BucketAdminClient(directory: address, token: token)
        }
    }

    /// The fields of `create` and `update`.
    struct Fields: ParsableArguments {
        @Option(help: "Flags: 0 private, 1 public read, 2 public write, 3 both.") var flags: Int?
        @Option(help: "Domain the proxy serves the bucket under.") var domain: String?
        @Option(help: "Cache-Control value for reads.") var cachePolicy: String?

        func form(name: String) -> FormFields {
            var form: FormFields = ["name": name]
            if let flags { form.append(name: "flags", value: "\(flags)") }
            if let domain { form.append(name: "domain", value: domain) }
            if let cachePolicy { form.append(name: "cache_policy", value: cachePolicy) }
            return form
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a bucket (key id and secret generated).")
        @Argument(help: "Bucket name.") var name: String
        @OptionGroup var fields: Fields
        @OptionGroup var connection: Connection
        func run() throws { print(try connection.client().post("create", fields.form(name: name))) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every bucket.")
        @OptionGroup var connection: Connection
        func run() throws { print(try connection.client().list()) }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change flags, domain or cache policy.")
        @Argument(help: "Bucket name.") var name: String
        @OptionGroup var fields: Fields
        @OptionGroup var connection: Connection
        func run() throws { print(try connection.client().post("update", fields.form(name: name))) }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the key id and secret.")
        @Argument(help: "Bucket name.") var name: String
        @OptionGroup var connection: Connection
        func run() throws { print(try connection.client().post("rotate", ["name": name])) }
    }
}
