import ArgumentParser

/// The `bfs` executable: one subcommand per component (DESIGN.md §2). Subcommands hold no logic;
/// they load settings and call into the service modules.
@main
struct BFSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bfs",
        abstract: "A Haystack-style small-file store.",
        subcommands: [
            StoreCommand.self, DirectoryCommand.self, PitchforkCommand.self, ProxyCommand.self,
            OpsCommand.self, UpCommand.self, VolumeCommand.self, BucketCommand.self, ClusterCommand.self,
            PutCommand.self, GetCommand.self, HeadCommand.self, RmCommand.self, LsCommand.self,
        ]
    )
}
